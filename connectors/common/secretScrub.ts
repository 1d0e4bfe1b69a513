/**
 * One scrubber per resolved connection: every secret the connection URL carries (password, secret query
 * parameters, inline credentials and the keys inside them), in every form a driver, an HTTP library or a
 * JSON parser might echo it (raw, percent-encoded, decoded, base64, JSON-escaped, Basic auth), is replaced
 * in the messages, stacks and string fields of errors that leave a source session. Keyed on the values,
 * not on message shapes, so a connector's new error message cannot leak what an old one did not.
 */
import type { ConnectionConfig, SourceConnector, SourceSession } from '../source';

const REDACTED = '[redacted]';

/** Query parameters that hold a secret. Paths to a key file are not secret; the file's content is never read into a message. */
const SECRET_PARAM = /pass|secret|token|key|cred|sig|auth|session|private/i;
const PATH_PARAM = /(_|^)(file|path)$|File$|Path$|^privateKey$/; // sftp's privateKey= is a path on the worker

/** Shorter values are not scrubbed: replacing every "ab" in a message would destroy it without hiding much. */
const MIN_SECRET = 3;
/** Long secrets (keys, JSON credentials) are also scrubbed piecewise, so a message quoting a line of one hides it too. */
const MIN_PIECE = 8;

const tryDecode = (s: string): string => {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
};

const looksBase64 = (s: string): boolean => s.length >= 8 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(s.replace(/\s/g, ''));

/** The forms a value may take in a message: as is, URL-encoded and decoded, base64, and JSON-escaped. */
function formsOf(value: string): string[] {
  const forms = new Set<string>([
    value,
    tryDecode(value),
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
  ]);
  for (const f of [...forms]) {
    forms.add(Buffer.from(f, 'utf8').toString('base64'));
    forms.add(Buffer.from(f, 'utf8').toString('base64').replace(/=+$/, ''));
    forms.add(Buffer.from(f, 'utf8').toString('base64url'));
    forms.add(JSON.stringify(f).slice(1, -1));
  }
  return [...forms];
}

/** The pieces of a long secret: its lines and its runs between quotes, spaces and separators (a PEM's base64 lines, a JSON's values). */
function piecesOf(value: string): string[] {
  // A JSON document is covered by its secret values (jsonSecrets), not by every word in it.
  if (value.length < 2 * MIN_PIECE || /^\s*\{/.test(value)) return [];
  return value.split(/\\n|[\s"',:{}[\]]+/).filter((p) => p.length >= MIN_PIECE && !p.includes('-----'));
}

/** The secret string values of a parsed JSON document (inline credentials): its private key, key id, client secret. */
function jsonSecrets(text: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  const out: string[] = [];
  // A service account's email and project are not secret (and name things in messages); its key and key id are.
  const walk = (v: unknown, depth: number): void => {
    if (depth > 5 || !v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === 'string' && SECRET_PARAM.test(k)) out.push(x);
      else walk(x, depth + 1);
    }
  };
  walk(doc, 0);
  return out;
}

/** The secret values of a connection URL, before their encodings are added. */
export function secretValuesOf(url: string): string[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // Not a URL: the whole string is all we know to hide.
    return [url];
  }
  const values: string[] = [];
  if (u.password) {
    values.push(u.password, tryDecode(u.password));
    // HTTP Basic auth sends base64("user:password"): a library echoing its headers must not show it either.
    // Only its encoded form: the pair's text would be cut into pieces, and the user name is no secret.
    values.push(Buffer.from(`${tryDecode(u.username)}:${tryDecode(u.password)}`, 'utf8').toString('base64'));
  }
  // The raw query, so the percent-encoded forms as they stand in the URL are covered as well as the decoded ones.
  for (const part of u.search.replace(/^\?/, '').split('&')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = tryDecode(part.slice(0, eq));
    if (!SECRET_PARAM.test(name) || PATH_PARAM.test(name)) continue;
    const raw = part.slice(eq + 1);
    const decoded = tryDecode(raw);
    values.push(raw, decoded);
    if (looksBase64(decoded)) {
      const text = Buffer.from(decoded, 'base64').toString('utf8');
      values.push(text, ...jsonSecrets(text));
    }
    values.push(...jsonSecrets(decoded));
  }
  return values;
}

export interface Scrubber {
  /** The text with every secret of the connection replaced. */
  text(s: string): string;
  /** The same error (its class, code and fields kept for classification), with every string in it scrubbed. */
  error(err: unknown): unknown;
}

export function scrubberFor(config: Pick<ConnectionConfig, 'url'>): Scrubber {
  const needles = new Set<string>();
  for (const value of secretValuesOf(config.url)) {
    for (const v of [value, ...piecesOf(value)]) {
      for (const f of formsOf(v)) if (f.length >= MIN_SECRET) needles.add(f);
    }
  }
  // Longest first, so a secret is never half-replaced by a shorter one inside it.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  const text = (s: string): string => {
    let out = s;
    for (const n of ordered) if (out.includes(n)) out = out.split(n).join(REDACTED);
    return out;
  };
  const error = (err: unknown): unknown => {
    if (typeof err === 'string') return text(err);
    if (!err || typeof err !== 'object') return err;
    scrubObject(err, text, new WeakSet(), 0);
    return err;
  };
  return { text, error };
}

/**
 * Fields that hold a credential whatever its value: an HTTP client's error keeps the request it sent, whose
 * Authorization header carries a token derived from the key (a signed JWT), which no value list can predict.
 */
const SECRET_FIELD =
  /^(authorization|proxy-authorization|cookie|set-cookie|password|passphrase|secret|token|access_token|refresh_token|id_token|private_?key|api[-_]?key|x-goog-api-key)$/i;

/** Scrub an error in place: message, stack, every string field, its cause and its aggregated errors. */
function scrubObject(obj: object, text: (s: string) => string, seen: WeakSet<object>, depth: number): void {
  if (seen.has(obj) || depth > 4) return;
  seen.add(obj);
  const o = obj as Record<string, unknown>;
  for (const key of new Set([...Object.getOwnPropertyNames(o), 'message', 'stack', 'cause'])) {
    let v: unknown;
    try {
      v = o[key];
    } catch {
      continue;
    }
    try {
      if (typeof v === 'string') {
        const clean = SECRET_FIELD.test(key) ? REDACTED : text(v);
        if (clean !== v)
          Object.defineProperty(o, key, {
            value: clean,
            writable: true,
            configurable: true,
            enumerable: Object.prototype.propertyIsEnumerable.call(o, key),
          });
      } else if (
        v &&
        typeof v === 'object' &&
        (key === 'cause' || key === 'errors' || v instanceof Error || Array.isArray(v) || depth < 2)
      ) {
        scrubObject(v, text, seen, depth + 1);
      }
    } catch {
      // A frozen or exotic field: leave it; the message and stack are what travel.
    }
  }
}

/** Runs `fn`, scrubbing whatever it throws. */
export async function scrubbing<T>(scrubber: Scrubber, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw scrubber.error(err);
  }
}

async function* scrubbedIterable<T>(scrubber: Scrubber, source: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (err) {
    throw scrubber.error(err);
  }
}

/**
 * A read's rows scrubbed, and its chunks() too when the source offers them: without chunks() the batch
 * would take the rows one at a time, a few promises per row instead of per chunk.
 */
function scrubbedRows(scrubber: Scrubber, rows: AsyncIterable<unknown>): AsyncIterable<unknown> {
  const chunked = rows as AsyncIterable<unknown> & { chunks?: () => AsyncIterable<unknown[]> };
  const out: AsyncIterable<unknown> & { chunks?: () => AsyncIterable<unknown[]> } = {
    [Symbol.asyncIterator]: () => scrubbedIterable(scrubber, rows)[Symbol.asyncIterator](),
  };
  if (typeof chunked.chunks === 'function') {
    out.chunks = () => {
      try {
        return scrubbedIterable(scrubber, chunked.chunks!());
      } catch (err) {
        throw scrubber.error(err);
      }
    };
  }
  return out;
}

/**
 * The session with every method's failure scrubbed, including those of an async iteration (read) and the
 * explorer methods (test, discover, preview): a Proxy, so the session's own shape (isExplorable) is kept.
 */
export function scrubbedSession<S extends SourceSession>(session: S, scrubber: Scrubber): S {
  return new Proxy(session, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        let out: unknown;
        try {
          out = (v as (...a: unknown[]) => unknown).apply(target, args);
        } catch (err) {
          throw scrubber.error(err);
        }
        if (out instanceof Promise)
          return out.catch((err: unknown) => {
            throw scrubber.error(err);
          });
        if (out && typeof out === 'object' && Symbol.asyncIterator in out)
          return scrubbedRows(scrubber, out as AsyncIterable<unknown>);
        return out;
      };
    },
  });
}

/** Open a session whose errors, from the open itself on, carry none of the connection's secrets. */
export async function openScrubbed(connector: SourceConnector, config: ConnectionConfig): Promise<SourceSession> {
  const scrubber = scrubberFor(config);
  const session = await scrubbing(scrubber, () => connector.open(config));
  return scrubbedSession(session, scrubber);
}
