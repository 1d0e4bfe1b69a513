/**
 * A custom query that terminates its own backend (`pg_terminate_backend(pg_backend_pid())`) fails the
 * same way on every retry, while a backend terminated from outside (a DBA, a fast shutdown) deserves one.
 * Both reach us as SQLSTATE 57P01 on the session that ran the query. So a 57P01 while the custom query
 * runs is tagged (watchCustomQueries), and the whole activity is tried once more at once, on new
 * connections (retryOnceIfOwnTermination): if the query ends its backend again, it is the query, and the
 * run fails without retry; an outside termination is not repeated that quickly, and a source shutting
 * down refuses the new connection instead, which Temporal retries as usual.
 */
import { ConfigurationError, type Relation, type SourceSession } from '../connectors/source';
import { CustomQueryTerminatedError, isBackendTerminated } from '../connectors/common/droppedConnection';

const isCustomQuery = (arg: unknown): boolean =>
  typeof arg === 'object' && arg !== null && 'query' in (arg as Relation);

function tag(err: unknown): never {
  if (isBackendTerminated(err)) throw new CustomQueryTerminatedError(err);
  throw err;
}

async function* tagged<T>(rows: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* rows;
  } catch (err) {
    tag(err);
  }
}

/** The rows of a read, and its chunks() when the source offers them (importBatch reads those). */
function taggedRows(rows: AsyncIterable<unknown>): AsyncIterable<unknown> {
  const chunked = rows as AsyncIterable<unknown> & { chunks?: () => AsyncIterable<unknown[]> };
  const out: AsyncIterable<unknown> & { chunks?: () => AsyncIterable<unknown[]> } = {
    [Symbol.asyncIterator]: () => tagged(rows)[Symbol.asyncIterator](),
  };
  if (typeof chunked.chunks === 'function') out.chunks = () => tagged(chunked.chunks!());
  return out;
}

/** The session, with a 57P01 during any call about a custom query turned into CustomQueryTerminatedError. */
export function watchCustomQueries<S extends SourceSession>(session: S): S {
  return new Proxy(session, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!args.some(isCustomQuery) || result === null || typeof result !== 'object') return result;
        if (typeof (result as Promise<unknown>).then === 'function') return (result as Promise<unknown>).catch(tag);
        if (Symbol.asyncIterator in result) return taggedRows(result as AsyncIterable<unknown>);
        return result;
      };
    },
  });
}

/** Run `fn`; after a CustomQueryTerminatedError run it once more, and a second one is the query's own doing. */
export async function retryOnceIfOwnTermination<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof CustomQueryTerminatedError)) throw err;
  }
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof CustomQueryTerminatedError)) throw err;
    throw new ConfigurationError(
      'custom query: the query terminated its own connection to the source (SQLSTATE 57P01, twice in a row on new ' +
        'connections, e.g. pg_terminate_backend(pg_backend_pid())); a custom query must only read',
    );
  }
}
