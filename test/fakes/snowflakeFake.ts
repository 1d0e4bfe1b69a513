/**
 * PROTOCOL FAKE of Snowflake, for tests: a loopback server that speaks the REST calls snowflake-sdk makes
 * (login-request with password or key-pair JWT, query-request with bindings, result chunks fetched by URL,
 * session delete, telemetry) and runs the SQL on a Postgres database after translating the few Snowflake
 * functions our connector emits. It is not Snowflake: it checks our use of the protocol and the dialect we
 * generate, and answers with Snowflake's wire formats (rowtype, epoch timestamps, error codes).
 */
import { createPublicKey, createVerify, randomUUID } from 'node:crypto';
import pg from 'pg';
import { parseTimestamp } from '../../domain/timestamps';
import { startFakeServer, type FakeRequest, type FakeResponse } from './http';
import { snowflakeStatements } from './snowflakeStatements';

export interface SnowflakeFakeUser {
  password?: string;
  /** PEM public key for key-pair (SNOWFLAKE_JWT) login. */
  publicKey?: string;
  /** Roles granted; a login naming another role fails with 390189. */
  roles?: string[];
}

export interface SnowflakeFake {
  /** access_url for the connector (the SDK talks plain HTTP to it). */
  accessUrl: string;
  /** How many result chunks were downloaded (to show large results come in chunks). */
  chunksServed(): number;
  close(): Promise<void>;
}

/** Rows sent inline with the first response; the rest go to chunks of CHUNK_ROWS, as Snowflake does. */
const INLINE_ROWS = 50;
const CHUNK_ROWS = 100;

/**
 * Snowflake SQL (as our connector and the tests write it) → Postgres. Unquoted identifiers that name a
 * table or column of the schema are upper-cased and quoted, as Snowflake resolves them.
 */
export function translate(sql: string, names: Set<string>): string {
  let n = 0;
  let out = '';
  let plain = '';
  const fold = (s: string) =>
    s.replace(/\b([A-Za-z_][A-Za-z0-9_$]*)\b/g, (w: string) =>
      names.has(w.toUpperCase()) ? `"${w.toUpperCase()}"` : w,
    );
  // Binds: ? outside quotes → $n.
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      out += fold(plain);
      plain = '';
      const j = sql.indexOf(c, i + 1);
      out += sql.slice(i, j + 1);
      i = j;
    } else if (c === '?') plain += `$${++n}`;
    else plain += c;
  }
  out += fold(plain);
  const fmt = (f: string) => f.replace('FF6', 'US');
  return out
    .replace(/TO_VARCHAR\(((?:[^()']|\(\))+?), '([^']*)'\)/g, (_, e: string, f: string) => `to_char(${e}, '${fmt(f)}')`)
    .replace(/TO_NUMBER\((\$\d+), 38, \d+\)/g, '($1)::numeric')
    .replace(/TO_DOUBLE\((\$\d+)\)/g, '($1)::float8')
    .replace(/TO_TIMESTAMP_NTZ\((\$\d+), '[^']*'\)/g, '($1)::timestamp')
    .replace(/TO_TIMESTAMP_L?TZ\((\$\d+), '[^']*'\)/g, '($1)::timestamptz')
    .replace(/TO_JSON\(([^()]+)\)/g, 'to_json($1)::text')
    .replace(/TO_DATE\((\$\d+), '[^']*'\)/g, '($1)::date')
    .replace(/SYSDATE\(\)/g, "(clock_timestamp() AT TIME ZONE 'UTC')")
    .replace(/CURRENT_TIMESTAMP\(\)/g, 'clock_timestamp()')
    .replace(/CURRENT_DATE\(\)/g, 'current_date')
    .replace(/CURRENT_VERSION\(\)/g, "'8.99.0-fake'")
    .replace(/CURRENT_ROLE\(\)/g, 'current_role');
}

interface SfColumn {
  name: string;
  type: string;
  scale: number | null;
  precision: number | null;
  nullable: boolean;
}

/** Postgres result field → Snowflake rowtype entry. */
function rowtypeOf(f: pg.FieldDef): SfColumn {
  const base = {
    name: f.name.toUpperCase() === f.name ? f.name : f.name.toUpperCase(),
    nullable: true,
    scale: null,
    precision: null,
  };
  switch (f.dataTypeID) {
    case 20:
    case 21:
    case 23:
      return { ...base, type: 'fixed', precision: 38, scale: 0 };
    case 1700: {
      const mod = f.dataTypeModifier - 4;
      return { ...base, type: 'fixed', precision: mod >= 0 ? mod >> 16 : 38, scale: mod >= 0 ? mod & 0xffff : 0 };
    }
    case 700:
    case 701:
      return { ...base, type: 'real' };
    case 16:
      return { ...base, type: 'boolean' };
    case 1082:
      return { ...base, type: 'date' };
    case 1114:
      return { ...base, type: 'timestamp_ntz', scale: 9 };
    case 1184:
      return { ...base, type: 'timestamp_tz', scale: 9 };
    case 1009:
    case 1015:
      return { ...base, type: 'array' };
    case 114:
    case 3802:
      return { ...base, type: 'variant' };
    case 17:
      return { ...base, type: 'binary' };
    case 1083:
      return { ...base, type: 'time', scale: 9 };
    default:
      return { ...base, type: 'text' };
  }
}

/** A Postgres value → Snowflake's JSON wire value for the column type. */
function wireValue(v: unknown, type: string): string | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return JSON.stringify(v);
  const s = String(v);
  if (type === 'boolean') return s === 't' || s === 'true' ? '1' : '0';
  if (type === 'date') return String(Math.round(Date.parse(`${s}T00:00:00Z`) / 86_400_000));
  if (type === 'timestamp_ntz' || type === 'timestamp_tz') {
    const t = parseTimestamp(s, undefined, 'UTC')!;
    const secs = Math.floor(t.ms / 1000);
    const nanos = `${String(t.ms - secs * 1000).padStart(3, '0')}${String(t.us).padStart(3, '0')}000`;
    // TIMESTAMP_TZ carries its offset as minutes + 1440 after the epoch value (UTC here: 1440).
    return type === 'timestamp_tz' ? `${secs}.${nanos} 1440` : `${secs}.${nanos}`;
  }
  return s;
}

const PG_TO_SF_TYPE: Record<string, string> = {
  numeric: 'NUMBER',
  bigint: 'NUMBER',
  integer: 'NUMBER',
  smallint: 'NUMBER',
  'double precision': 'FLOAT',
  real: 'FLOAT',
  text: 'TEXT',
  'character varying': 'TEXT',
  boolean: 'BOOLEAN',
  date: 'DATE',
  'timestamp without time zone': 'TIMESTAMP_NTZ',
  'timestamp with time zone': 'TIMESTAMP_TZ',
  ARRAY: 'ARRAY',
  jsonb: 'VARIANT',
  json: 'VARIANT',
  bytea: 'BINARY',
};

function sfError(code: string, message: string, sqlState = '02000'): FakeResponse {
  return { json: { success: false, code, message, data: { errorCode: code, sqlState, queryId: randomUUID() } } };
}

/** Verify an RS256 JWT against a PEM public key; returns its claims or null. */
function verifyJwt(token: string, publicKeyPem: string): Record<string, unknown> | null {
  const [h, p, sig] = token.split('.');
  if (!h || !p || !sig) return null;
  const ok = createVerify('RSA-SHA256')
    .update(`${h}.${p}`)
    .verify(createPublicKey(publicKeyPem), Buffer.from(sig, 'base64url'));
  return ok ? (JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>) : null;
}

export async function startSnowflakeFake(options: {
  postgresUrl: string;
  schema: string;
  users: Record<string, SnowflakeFakeUser>;
  /** The account's MULTI_STATEMENT_COUNT (Snowflake's default is 1; an administrator may set 0, "any number"). */
  multiStatementCount?: number;
}): Promise<SnowflakeFake> {
  const pool = new pg.Pool({
    connectionString: options.postgresUrl,
    max: 4,
    options: `-c TimeZone=UTC -c search_path="${options.schema}"`,
  });
  const sessions = new Map<string, { user: string; role: string | null }>();
  const chunks = new Map<string, string>();
  let served = 0;
  let base = '';

  // Text for everything but text arrays, which become JS arrays (sent as JSON, as Snowflake sends ARRAY).
  const typeParser = pg.types.getTypeParser as unknown as (oid: number, format: string) => (s: string) => unknown;
  const parsers = {
    getTypeParser: (oid: number) => (oid === 1009 || oid === 1015 ? typeParser(oid, 'text') : (x: string) => x),
  };

  async function login(req: FakeRequest): Promise<FakeResponse> {
    const data = (req.body as { data?: Record<string, string> })?.data ?? {};
    const userName = String(data.LOGIN_NAME ?? '').toLowerCase();
    const user = options.users[userName];
    if (!user) return sfError('390100', 'Incorrect username or password was specified.', '08004');
    if (data.AUTHENTICATOR === 'SNOWFLAKE_JWT') {
      const claims = user.publicKey ? verifyJwt(String(data.TOKEN ?? ''), user.publicKey) : null;
      if (
        !claims ||
        !String(claims.sub ?? '')
          .toUpperCase()
          .endsWith(`.${userName.toUpperCase()}`)
      )
        return sfError('390144', 'JWT token is invalid.', '08004');
    } else if (user.password === undefined || data.PASSWORD !== user.password) {
      return sfError('390100', 'Incorrect username or password was specified.', '08004');
    }
    const role = req.url.searchParams.get('roleName');
    if (role && !(user.roles ?? []).map((r) => r.toUpperCase()).includes(role.toUpperCase())) {
      return sfError(
        '390189',
        `Role '${role.toUpperCase()}' specified in the connect string is not granted to this user.`,
        '08004',
      );
    }
    const token = `fake-session-${randomUUID()}`;
    sessions.set(token, { user: userName, role: role ? role.toUpperCase() : null });
    return {
      json: {
        success: true,
        code: null,
        message: null,
        data: {
          token,
          masterToken: `fake-master-${randomUUID()}`,
          validityInSeconds: 3600,
          masterValidityInSeconds: 14400,
          sessionId: Math.floor(Math.random() * 1e9),
          parameters: [{ name: 'TIMEZONE', value: 'UTC' }],
          sessionInfo: {
            databaseName: req.url.searchParams.get('databaseName'),
            schemaName: req.url.searchParams.get('schemaName'),
            warehouseName: req.url.searchParams.get('warehouse'),
            roleName: role,
          },
        },
      },
    };
  }

  async function query(req: FakeRequest): Promise<FakeResponse> {
    const token = /Snowflake Token="([^"]+)"/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!token || !sessions.has(token))
      return { status: 401, json: { code: '390104', message: 'Session token invalid' } };
    const body = req.body as {
      sqlText: string;
      bindings?: Record<string, { type: string; value: string }>;
      parameters?: Record<string, unknown>;
    };
    const binds = Object.entries(body.bindings ?? {})
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, b]) => b.value);
    let statements: string[];
    try {
      statements = snowflakeStatements(body.sqlText);
    } catch (err) {
      return sfError('001003', (err as Error).message, '42000');
    }
    // The statement's parameter wins over the account's; 0 takes any number of statements.
    const desired = Number(body.parameters?.MULTI_STATEMENT_COUNT ?? options.multiStatementCount ?? 1);
    if (desired !== 0 && statements.length !== desired) {
      return sfError(
        '000008',
        `Actual statement count ${statements.length} did not match the desired statement count ${desired}.`,
        '0A000',
      );
    }
    const client = await pool.connect();
    let result: pg.QueryResult;
    try {
      const known = await client.query<{ n: string }>(
        `SELECT table_name AS n FROM information_schema.tables WHERE table_schema = $1
         UNION SELECT column_name FROM information_schema.columns WHERE table_schema = $1`,
        [options.schema],
      );
      const names = new Set(known.rows.map((r) => r.n).filter((x) => /^[A-Z_][A-Z0-9_$]*$/.test(x)));
      if (statements.length > 1) {
        // Snowflake runs every statement of an allowed multi-statement request, writes included (autocommit);
        // the fake answers with the first statement's result.
        const results: pg.QueryResult[] = [];
        for (const statement of statements)
          results.push(await client.query({ text: translate(statement, names), rowMode: 'array', types: parsers }));
        result = results[0]!;
        return resultResponse(body.sqlText, result);
      }
      await client.query('BEGIN READ ONLY');
      // The session's role, when the backing database has a Postgres role of that name: its grants then
      // decide what the statement may see, and INFORMATION_SCHEMA answers for it, as Snowflake's does.
      const role = sessions.get(token)!.role;
      if (role && (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount) {
        await client.query(`SET LOCAL ROLE ${pg.escapeIdentifier(role)}`);
      }
      // STATEMENT_TIMEOUT_IN_SECONDS (0: none): Snowflake cancels a statement that runs past it.
      const limit = Number(body.parameters?.STATEMENT_TIMEOUT_IN_SECONDS ?? 0);
      if (limit > 0) await client.query(`SET LOCAL statement_timeout = ${Math.trunc(limit * 1000)}`);
      result = await client.query({
        text: translate(statements[0]!, names),
        values: binds,
        rowMode: 'array',
        types: parsers,
      });
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      const e = err as { code?: string; message: string };
      if (e.code === '42P01')
        return sfError('002003', `SQL compilation error:\nObject does not exist or not authorized. (${e.message})`);
      if (e.code === '42703') return sfError('000904', `SQL compilation error: invalid identifier (${e.message})`);
      if (e.code === '42601') return sfError('001003', `SQL compilation error: syntax error (${e.message})`);
      if (e.code === '57014') {
        const limit = Number(body.parameters?.STATEMENT_TIMEOUT_IN_SECONDS ?? 0);
        return sfError(
          '000630',
          `Statement reached its statement or warehouse timeout of ${limit} second(s) and was canceled.`,
          '57014',
        );
      }
      return sfError('000603', `fake: ${e.message}`);
    } finally {
      client.release();
    }
    return resultResponse(body.sqlText, result);
  }

  function resultResponse(sqlText: string, result: pg.QueryResult): FakeResponse {
    const rowtype = result.fields.map(rowtypeOf);
    if (/information_schema\.columns/i.test(sqlText)) {
      const i = rowtype.findIndex((c) => c.name === 'DATA_TYPE');
      for (const r of result.rows as unknown[][]) r[i] = PG_TO_SF_TYPE[String(r[i])] ?? 'TEXT';
    }
    const rows = (result.rows as unknown[][]).map((r) => r.map((v, i) => wireValue(v, rowtype[i]!.type)));
    const queryId = randomUUID();
    const chunkList: { url: string; rowCount: number; uncompressedSize: number }[] = [];
    for (let i = INLINE_ROWS; i < rows.length; i += CHUNK_ROWS) {
      const part = rows.slice(i, i + CHUNK_ROWS);
      const id = `${queryId}/${chunkList.length}`;
      const text = part.map((r) => JSON.stringify(r)).join(',');
      chunks.set(id, text);
      chunkList.push({ url: `${base}/fake-stage/${id}`, rowCount: part.length, uncompressedSize: text.length });
    }
    return {
      json: {
        success: true,
        code: null,
        message: null,
        data: {
          queryId,
          rowtype,
          rowset: rows.slice(0, INLINE_ROWS),
          total: rows.length,
          returned: rows.length,
          chunks: chunkList.length ? chunkList : undefined,
          chunkHeaders: chunkList.length ? { 'x-fake-stage': 'yes' } : undefined,
          queryResultFormat: 'json',
          version: 1,
          statementTypeId: 4096,
          parameters: [{ name: 'TIMEZONE', value: 'UTC' }],
          finalDatabaseName: 'FAKE',
          finalSchemaName: options.schema,
        },
      },
    };
  }

  const server = await startFakeServer(async (req) => {
    const p = req.url.pathname;
    if (p === '/session/v1/login-request') return login(req);
    if (p === '/queries/v1/query-request') return query(req);
    if (p.startsWith('/fake-stage/')) {
      const text = chunks.get(p.slice('/fake-stage/'.length));
      if (text === undefined) return { status: 404, text: 'no such chunk' };
      served++;
      return { text };
    }
    if (p === '/session' && req.url.searchParams.get('delete') === 'true') {
      const token = /Snowflake Token="([^"]+)"/.exec(String(req.headers.authorization ?? ''))?.[1];
      if (token) sessions.delete(token);
      return { json: { success: true, data: null } };
    }
    // Telemetry, heartbeats and anything else the SDK may send: accepted and ignored.
    return { json: { success: true, data: {} } };
  });
  base = server.url;
  return {
    accessUrl: server.url,
    chunksServed: () => served,
    async close() {
      await server.close();
      await pool.end();
    },
  };
}
