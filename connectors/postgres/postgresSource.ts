/**
 * Postgres source: streamed keyset reads on (cursor, key) under the run's upper bound, in a READ ONLY
 * transaction, with every value kept as Postgres's own text (no Date or float conversion). Custom queries
 * are checked by Postgres's parser and sent only with the extended protocol; connections go back to the
 * pool with a clean session (postgresSessionGuard.ts).
 */
import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import pg from 'pg';
import QueryStream from 'pg-query-stream';
import {
  ConfigurationError,
  type ConnectionConfig,
  type ReadOptions,
  type ReadRange,
  type Relation,
  type SourceColumn,
  type SourceConnector,
  type SourceExplorer,
  type SourceSession,
} from '../source';
import { networkCode, unreachable } from '../common/errors';
import { postgresConfigProblem } from './postgresConfigErrors';
import { guardPool, guardStream } from '../common/droppedConnection';
import { createPostgresDiscovery } from './postgresDiscovery';
import { PostgresExplorer } from './postgresExplorer';
import { resultColumns } from './postgresPreview';
import { planPostgresRange } from './postgresRangePlanner';
import type { RangePlanner } from '../rangePlanner';
import { fromClause, quoteTable, rawTypes, selectExpr } from './postgresSql';
import { networkReach } from '../common/networkReach';
import { operatorPolicyFromEnv, type OperatorPolicy } from '../common/operatorPolicy';
import { pgStream } from '../common/reachingSockets';
import { loadPostgresParser, relationsNamedBy } from './postgresSqlGuard';
import { assertRoleAllowed, extended, releaseClean, sourceRole, type SourceRole } from './postgresSessionGuard';
import { clockBound } from '../common/timeText';
import { isStatementTimeout, statementTimedOut } from '../common/statementTimeout';

/**
 * Turn driver errors into configuration errors where retrying cannot help. `timeLimitSeconds`: the
 * statement_timeout the pool sets, named when a statement runs into it.
 */
export function classify(err: unknown, relation?: Relation, timeLimitSeconds?: number): never {
  if (err instanceof ConfigurationError) throw err;
  if (networkCode(err)) throw unreachable('postgres', 'the source', err);
  if (isStatementTimeout(err)) throw statementTimedOut('postgres', err, timeLimitSeconds);
  const e = err as { code?: string; message?: string };
  const what = relation ? ('table' in relation ? `table ${relation.table}` : 'custom query') : 'source';
  if (e.code === '42P01') throw new ConfigurationError(`${what}: ${e.message} (missing table)`);
  if (e.code === '42703') throw new ConfigurationError(`${what}: ${e.message} (missing column)`);
  if (e.code === '3F000') throw new ConfigurationError(`${what}: ${e.message} (missing schema)`);
  if (e.code === '42501') throw new ConfigurationError(`${what}: permission denied: ${e.message}`);
  if (e.code === '25006') throw new ConfigurationError(`${what}: the custom query tried to write: ${e.message}`);
  if (e.code === '28P01' || e.code === '28000')
    throw new ConfigurationError(`source: authentication failed: ${e.message}`);
  if (e.code === '3D000') throw new ConfigurationError(`source: ${e.message} (missing database)`);
  if (e.code?.startsWith('42')) throw new ConfigurationError(`${what}: ${e.message}`);
  const problem = postgresConfigProblem(err);
  if (problem) throw new ConfigurationError(`${what}: ${problem}`);
  throw err;
}

type Row = (string | null)[];

/**
 * Rows per server fetch, and per chunk handed to the consumer. Small on purpose: the fetched rows are the
 * bulk of what is alive in the worker's young generation (8 MB semi-spaces, WORKER_NODE_FLAGS) at each
 * scavenge, and every live row is copied, often promoted: smaller fetches cost the worker less CPU per row
 * (docs/performance.md), and 250 keeps round trips few enough for a distant source.
 */
const FETCH_ROWS = 250;
const READ_CHUNK_ROWS = 250;

/** What read() returns: the interface's row-by-row iterable, plus the same rows in chunks. */
export interface ChunkedRows extends AsyncIterable<Row> {
  chunks(): AsyncIterable<Row[]>;
}

/**
 * The rows of an object-mode stream in arrays, read synchronously while it has them buffered: one
 * promise per chunk, not per row (each promise costs more than mapping a row under async hooks).
 * `failsWith` are emitters whose 'error' also ends the read: a query stream whose connection died never
 * emits its own (pg-cursor waits for the server's answer to closing the portal before the stream may).
 */
async function* drain(stream: Readable, failsWith: EventEmitter[] = []): AsyncGenerator<Row[]> {
  const failure: { error: Error | null } = { error: null };
  let ended = false;
  let signalled = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    signalled = true;
    const w = wake;
    wake = null;
    w?.();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (e: Error) => {
    failure.error ??= e;
    notify();
  };
  stream.on('readable', notify);
  stream.on('end', onEnd);
  stream.on('error', onError);
  for (const e of failsWith) e.on('error', onError);
  try {
    for (;;) {
      if (failure.error) throw failure.error;
      signalled = false;
      const chunk: Row[] = [];
      let row: Row | null;
      while (chunk.length < READ_CHUNK_ROWS && (row = stream.read() as Row | null) !== null) chunk.push(row);
      if (chunk.length > 0) {
        yield chunk;
        continue;
      }
      if (ended || stream.readableEnded) return;
      if (!signalled)
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
    }
  } finally {
    stream.off('readable', notify);
    stream.off('end', onEnd);
    stream.off('error', onError);
    for (const e of failsWith) e.off('error', onError);
    if (!ended && !stream.destroyed) stream.destroy();
  }
}

/** A pool per connection URL, and its role's check (made on the first connection it hands out). */
interface PoolEntry {
  pool: pg.Pool;
  role: Promise<SourceRole> | null;
  /** The pool's statement_timeout, in seconds. */
  timeLimit: number;
}

class PostgresSession implements SourceSession, SourceExplorer, RangePlanner {
  constructor(
    private readonly entry: PoolEntry,
    private readonly allowSuperuser: boolean,
  ) {}

  /** A pooled client whose role the operator allows. */
  private async connect(): Promise<pg.PoolClient> {
    const client = await this.entry.pool.connect().catch((e) => classify(e));
    try {
      const check = (this.entry.role ??= sourceRole(client));
      const role = await check.catch((err: unknown) => {
        if (this.entry.role === check) this.entry.role = null;
        throw err;
      });
      assertRoleAllowed(role, this.allowSuperuser);
      return client;
    } catch (err) {
      await releaseClean(client, true);
      return classify(err);
    }
  }

  // Discovery, preview and counts live in postgresExplorer.ts.
  private readonly explorer = new PostgresExplorer((fn, relation) => this.readOnly(fn, relation));
  test = () => this.explorer.test();
  discover = () => this.explorer.discover();
  preview: SourceExplorer['preview'] = (relation, limit) => this.explorer.preview(relation, limit);
  count: SourceExplorer['count'] = (relation, range) => this.explorer.count(relation, range);
  // Backfill partitions from the source's own counts (postgresRangePlanner.ts).
  planRange: RangePlanner['planRange'] = (relation, input) =>
    planPostgresRange((fn, r) => this.readOnly(fn, r), relation, input);

  private async readOnly<T>(fn: (client: pg.PoolClient) => Promise<T>, relation?: Relation): Promise<T> {
    const client = await this.connect();
    let reusable = false;
    try {
      await client.query('BEGIN READ ONLY');
      const result = await fn(client);
      await client.query('COMMIT');
      reusable = true;
      return result;
    } catch (err) {
      reusable = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      return classify(err, relation, this.entry.timeLimit);
    } finally {
      await releaseClean(client, reusable);
    }
  }

  async columns(relation: Relation): Promise<SourceColumn[]> {
    return this.readOnly(async (client) => {
      const res = await client.query(
        extended(`SELECT * FROM ${fromClause(relation)} LIMIT 0`, [], { rowMode: 'array' }),
      );
      return resultColumns(client, res.fields);
    }, relation);
  }

  async upperBound(relation: Relation, cursor: SourceColumn, lag: number, timeZone: string): Promise<string | null> {
    const c = `src.${pg.escapeIdentifier(cursor.name)}`;
    return this.readOnly(async (client) => {
      let sql: string;
      let params: unknown[] = [];
      if (cursor.cursorKind === 'time') {
        // The source's own clock (printed in UTC, the session's zone), so a skewed worker clock cannot move the bound.
        const res = await client.query<{ now: string }>('SELECT clock_timestamp()::text AS now');
        const kind =
          cursor.sourceType === 'timestamp with time zone' ? 'instant' : cursor.sourceType === 'date' ? 'date' : 'wall';
        return clockBound(res.rows[0]!.now, lag, kind, timeZone);
      }
      if (cursor.cursorKind === 'number') {
        sql = `SELECT (max(${c}) - $1::numeric)::text AS bound FROM ${fromClause(relation)}`;
        params = [lag];
      } else {
        sql = `SELECT max(${c})::text AS bound FROM ${fromClause(relation)}`;
      }
      const res = await client.query<{ bound: string | null }>(extended(sql, params));
      return res.rows[0]?.bound ?? null;
    }, relation);
  }

  /**
   * A warning when the role may also INSERT, UPDATE or DELETE in what the import reads: the READ ONLY
   * transaction stops the import writing, but a role that can only SELECT is what keeps a mistake small.
   */
  async warnings(relation: Relation): Promise<string[]> {
    let names: string[] = [];
    if ('table' in relation) names = [quoteTable(relation.table)];
    else if ('query' in relation) {
      names = relationsNamedBy(relation.query).map(
        (r) => (r.schema ? `${pg.escapeIdentifier(r.schema)}.` : '') + pg.escapeIdentifier(r.name),
      );
    }
    if (names.length === 0) return [];
    return this.readOnly(async (client) => {
      const res = await client.query<{ t: string; who: string }>(
        extended(
          `SELECT DISTINCT c.oid::regclass::text AS t, current_user::text AS who
         FROM unnest($1::text[]) AS n(name) CROSS JOIN LATERAL (SELECT to_regclass(n.name) AS oid) c
         WHERE c.oid IS NOT NULL AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE') ORDER BY 1`,
          [names],
        ),
      );
      if (res.rows.length === 0) return [];
      return [
        `the source role "${res.rows[0]!.who}" can also write (INSERT, UPDATE or DELETE) to ${res.rows.map((r) => r.t).join(', ')}, ` +
          'which this import reads; a role with SELECT only is safer',
      ];
    }, relation);
  }

  async countNullCursor(relation: Relation, cursor: string, key: string): Promise<number> {
    return this.readOnly(async (client) => {
      const res = await client.query<{ n: string }>(
        extended(
          `SELECT count(*)::text AS n FROM ${fromClause(relation)}
         WHERE src.${pg.escapeIdentifier(cursor)} IS NULL OR src.${pg.escapeIdentifier(key)} IS NULL`,
        ),
      );
      return Number(res.rows[0]?.n ?? 0);
    }, relation);
  }

  /** Rows one at a time (the SourceSession interface); chunks() below is what importBatch uses. */
  read(relation: Relation, columns: string[], range: ReadRange, options: ReadOptions = {}): ChunkedRows {
    const chunks = () => this.readChunks(relation, columns, range, options);
    return {
      chunks,
      async *[Symbol.asyncIterator]() {
        for await (const chunk of chunks()) yield* chunk;
      },
    };
  }

  /**
   * Rows in arrays of up to READ_CHUNK_ROWS, so a consumer pays one await per chunk rather than per row.
   * The server sends them a fetch of FETCH_ROWS at a time through a cursor, the next fetch requested
   * while the previous one is consumed.
   */
  private async *readChunks(
    relation: Relation,
    columns: string[],
    range: ReadRange,
    options: ReadOptions,
  ): AsyncGenerator<Row[]> {
    const c = `src.${pg.escapeIdentifier(range.cursor)}`;
    const k = `src.${pg.escapeIdentifier(range.key)}`;
    const params: unknown[] = [range.upperBound, range.limit];
    let where = `${c} IS NOT NULL AND ${k} IS NOT NULL AND ${c} <= $1`;
    if (range.after) {
      params.push(range.after.cursor, range.after.key);
      where += ` AND (${c}, ${k}) > ($3, $4)`;
    }
    const select = await this.selectList(relation, columns, range, options);
    const sql = `SELECT ${select}
      FROM ${fromClause(relation)} WHERE ${where} ORDER BY ${c}, ${k} LIMIT $2`;
    const client = await this.connect();
    let ok = false;
    try {
      await client.query('BEGIN READ ONLY');
      const stream = guardStream(
        client.query(new QueryStream(sql, params, { rowMode: 'array', batchSize: FETCH_ROWS, types: rawTypes })),
      );
      try {
        yield* drain(stream, [stream.cursor as EventEmitter, client]);
      } catch (err) {
        classify(err, relation, this.entry.timeLimit);
      }
      await client.query('COMMIT');
      ok = true;
    } finally {
      if (!ok) await client.query('ROLLBACK').catch(() => undefined);
      await releaseClean(client, ok);
    }
  }

  /**
   * The select list: the columns as they are, unless some are mapped as json, which needs their types. The
   * cursor and key stay as they are whatever their mapping: positions are compared with their own text.
   */
  private async selectList(
    relation: Relation,
    columns: string[],
    range: ReadRange,
    options: ReadOptions,
  ): Promise<string> {
    const json = new Set(options.json ?? []);
    json.delete(range.cursor);
    json.delete(range.key);
    if (!columns.some((c) => json.has(c))) return columns.map((c) => `src.${pg.escapeIdentifier(c)}`).join(', ');
    const types = new Map((await this.columns(relation)).map((c) => [c.name, c]));
    return columns
      .map((c) => {
        const column = types.get(c);
        return column ? selectExpr(column, json.has(c)) : `src.${pg.escapeIdentifier(c)}`;
      })
      .join(', ');
  }

  async close(): Promise<void> {
    // The pool is shared per connection and closed with the connector.
  }
}

/**
 * Pools are kept per connection URL for the worker's lifetime. `policy` (default: the environment's) says
 * whether a superuser role may be used.
 */
export function createPostgresConnector(
  options: { policy?: OperatorPolicy } = {},
): SourceConnector & { closeAll(): Promise<void> } {
  const policy = options.policy ?? operatorPolicyFromEnv();
  const reach = networkReach(policy);
  const pools = new Map<string, PoolEntry>();
  return {
    kind: 'postgres',
    // The API's own client and wording around the session's catalogue (postgresDiscovery.ts).
    discovery: createPostgresDiscovery({ policy }),
    async open(config: ConnectionConfig) {
      await loadPostgresParser();
      // Apart per origin: the same URL stored through the API is checked, the operator's own is not.
      const poolKey = `${config.operatorDefined ? 'operator' : 'api'} ${config.url}`;
      let entry = pools.get(poolKey);
      if (!entry) {
        const pool = new pg.Pool({
          connectionString: config.url,
          // The host (or socket) is an API key holder's: it connects only where the operator's policy allows.
          ...(config.operatorDefined ? {} : { stream: pgStream(reach) }),
          max: 4,
          types: rawTypes,
          // standard_conforming_strings as the parser that checks custom queries reads them.
          options:
            '-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=iso_8601 -c extra_float_digits=3 -c standard_conforming_strings=on',
          // The operator's bound on one statement. A read streams in fetches of FETCH_ROWS rows, each its own
          // execution, so this bounds one fetch, a count or a bound, not a whole run; it ends a custom query
          // that would otherwise hold a connection (and its locks) indefinitely.
          statement_timeout: policy.sourceStatementTimeoutSeconds * 1000,
          application_name: 'tributary-source',
        });
        guardPool(pool, 'source'); // a dropped connection fails the read using it, not the process
        entry = { pool, role: null, timeLimit: policy.sourceStatementTimeoutSeconds };
        pools.set(poolKey, entry);
      }
      return new PostgresSession(entry, policy.allowSuperuserSources);
    },
    async closeAll() {
      await Promise.all([...pools.values()].map((e) => e.pool.end()));
      pools.clear();
    },
  };
}
