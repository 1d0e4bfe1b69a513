/**
 * PROTOCOL FAKE of BigQuery, for tests: a loopback server answering the REST calls @google-cloud/bigquery
 * makes (jobs.insert for queries and dry runs, jobs.getQueryResults with page tokens, datasets.list,
 * tables.list, tables.get), checking the service account's self-signed JWT, and running the SQL on a
 * Postgres database (one schema per dataset) after translating the few BigQuery forms our connector
 * emits. It is not BigQuery: it checks our use of the protocol and dialect and answers in BigQuery's wire
 * formats (schema fields, {f:[{v}]} rows, TIMESTAMP as int64 microseconds, error reasons).
 */
import { createPublicKey, createVerify, randomUUID } from 'node:crypto';
import pg from 'pg';
import { parseTimestamp } from '../../domain/timestamps';
import { type FakeRequest, type FakeResponse, startFakeServer } from './http';
import { bigqueryStatements } from './bigqueryStatements';

export interface BigQueryFakeAccount {
  publicKey: string;
  /** False: every query and listing is denied (403 accessDenied). */
  canQuery: boolean;
  /** IAM permissions the account holds on every table, as tables.testIamPermissions reports them (default: none). */
  tablePermissions?: string[];
}

export interface BigQueryFake {
  apiEndpoint: string;
  pagesServed(): number;
  close(): Promise<void>;
}

/** Rows per results page at most, whatever maxResults asks (BigQuery also caps pages). */
const PAGE_CAP = 100;

const PG_TYPE: Record<string, string> = {
  INT64: 'bigint',
  FLOAT64: 'float8',
  NUMERIC: 'numeric',
  BIGNUMERIC: 'numeric',
  TIMESTAMP: 'timestamptz',
  DATETIME: 'timestamp',
  DATE: 'date',
  STRING: 'text',
};

/** BigQuery SQL (as our connector and the tests write it) → Postgres, with named parameters in order. */
export function translate(sql: string): { text: string; names: string[] } {
  const names: string[] = [];
  const text = sql
    .replace(/`[^`]+`(?:\.`[^`]+`)*/g, (m) => {
      const parts = m.split('.').map((p) => p.slice(1, -1));
      return (parts.length === 3 ? parts.slice(1) : parts).map((p) => `"${p}"`).join('.');
    })
    .replace(/@([A-Za-z_]\w*)/g, (_, n: string) => {
      if (!names.includes(n)) names.push(n);
      return `$${names.indexOf(n) + 1}`;
    })
    .replace(/CAST\((\$\d+) AS (\w+)\)/g, (_, p: string, t: string) => `CAST(${p} AS ${PG_TYPE[t] ?? t})`)
    .replace(/CURRENT_TIMESTAMP\(\)/g, 'clock_timestamp()')
    .replace(/CURRENT_DATETIME\('UTC'\)/g, "(clock_timestamp() AT TIME ZONE 'UTC')")
    .replace(/CURRENT_DATE\(\)/g, 'current_date');
  return { text, names };
}

interface BqField {
  name: string;
  type: string;
  mode: string;
}

/** Postgres array types (by oid) as BigQuery ARRAY<item type>: text[], varchar[], float4[]/float8[], int4[]/int8[], numeric[]. */
const ARRAY_ITEM: Record<number, string> = {
  1009: 'STRING',
  1015: 'STRING',
  1021: 'FLOAT',
  1022: 'FLOAT',
  1007: 'INTEGER',
  1016: 'INTEGER',
  1231: 'NUMERIC',
};

function fieldOf(f: pg.FieldDef): BqField {
  const t: Record<number, string> = {
    20: 'INTEGER',
    21: 'INTEGER',
    23: 'INTEGER',
    1700: 'NUMERIC',
    700: 'FLOAT',
    701: 'FLOAT',
    16: 'BOOLEAN',
    1082: 'DATE',
    1114: 'DATETIME',
    1184: 'TIMESTAMP',
    17: 'BYTES',
    114: 'JSON',
    3802: 'JSON',
    1083: 'TIME',
  };
  const repeated = ARRAY_ITEM[f.dataTypeID];
  if (repeated) return { name: f.name, type: repeated, mode: 'REPEATED' };
  return { name: f.name, type: t[f.dataTypeID] ?? 'STRING', mode: 'NULLABLE' };
}

function wire(v: unknown, f: BqField): unknown {
  if (v === null || v === undefined) return null;
  if (f.mode === 'REPEATED') return (v as unknown[]).map((x) => ({ v: x === null ? null : String(x) }));
  const s = String(v);
  switch (f.type) {
    case 'TIMESTAMP': {
      const t = parseTimestamp(s, undefined, 'UTC')!;
      return (BigInt(t.ms) * 1000n + BigInt(t.us)).toString();
    }
    case 'DATETIME':
      return s.replace(' ', 'T');
    case 'BOOLEAN':
      return s === 't' ? 'true' : 'false';
    case 'BYTES':
      return Buffer.from(s.replace(/^\\x/, ''), 'hex').toString('base64');
    default:
      return s;
  }
}

const apiError = (code: number, status: string, reason: string, message: string): FakeResponse => ({
  status: code,
  json: { error: { code, message, status, errors: [{ reason, message, domain: 'global' }] } },
});

function verifyJwt(token: string, publicKeyPem: string): Record<string, unknown> | null {
  const [h, p, sig] = token.split('.');
  if (!h || !p || !sig) return null;
  try {
    const ok = createVerify('RSA-SHA256')
      .update(`${h}.${p}`)
      .verify(createPublicKey(publicKeyPem), Buffer.from(sig, 'base64url'));
    return ok ? (JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export async function startBigQueryFake(options: {
  postgresUrl: string;
  project: string;
  accounts: Record<string, BigQueryFakeAccount>;
}): Promise<BigQueryFake> {
  const pool = new pg.Pool({ connectionString: options.postgresUrl, max: 4, options: '-c TimeZone=UTC' });
  const results = new Map<string, { fields: BqField[]; rows: unknown[][]; bytes: string }>();
  let pages = 0;
  const typeParser = pg.types.getTypeParser as unknown as (oid: number, format: string) => (s: string) => unknown;
  // Arrays' items keep their text (NaN, Infinity and all digits), as BigQuery sends every number as a string.
  const parsers = { getTypeParser: (oid: number) => (ARRAY_ITEM[oid] ? typeParser(1009, 'text') : (x: string) => x) };

  function account(req: FakeRequest): BigQueryFakeAccount | FakeResponse {
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
    let claims: Record<string, unknown> | null = null;
    try {
      claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    } catch {
      /* not a JWT */
    }
    const acct = claims ? options.accounts[String(claims.iss)] : undefined;
    if (!acct || !verifyJwt(token, acct.publicKey) || !String(claims?.scope ?? '').includes('bigquery')) {
      return apiError(
        401,
        'UNAUTHENTICATED',
        'authError',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
    }
    return acct;
  }

  async function insertJob(req: FakeRequest): Promise<FakeResponse> {
    const body = req.body as {
      jobReference?: { jobId?: string; location?: string };
      configuration: {
        dryRun?: boolean;
        jobTimeoutMs?: string;
        query: {
          query: string;
          queryParameters?: { name: string; parameterValue: { value: string } }[];
          defaultDataset?: { datasetId: string };
        };
      };
    };
    const q = body.configuration.query;
    let shape: ReturnType<typeof bigqueryStatements>;
    try {
      shape = bigqueryStatements(q.query);
    } catch (err) {
      return apiError(400, 'INVALID_ARGUMENT', 'invalidQuery', (err as Error).message);
    }
    // Anything but one SELECT: a dry run reports its statement type; a real run executes it, writes
    // included, as BigQuery would (so a test sees a write the connector let through).
    if (shape.statementType !== 'SELECT') return runStatements(body, shape);
    const { text, names } = translate(shape.statements[0]!);
    const values = names.map((n) => q.queryParameters?.find((p) => p.name === n)?.parameterValue.value ?? null);
    const client = await pool.connect();
    let result: pg.QueryResult;
    let bytes = '0';
    try {
      await client.query('BEGIN READ ONLY');
      const schemas = await client.query<{ s: string }>(
        "SELECT nspname AS s FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' AND nspname <> 'information_schema'",
      );
      await client.query(
        `SET LOCAL search_path = ${schemas.rows.map((r) => pg.escapeIdentifier(r.s)).join(', ') || 'public'}`,
      );
      // jobTimeoutMs: BigQuery stops a job that runs past it; the job fails with reason `timeout`.
      const timeoutMs = Number(body.configuration.jobTimeoutMs ?? 0);
      if (timeoutMs > 0 && !body.configuration.dryRun)
        await client.query(`SET LOCAL statement_timeout = ${Math.trunc(timeoutMs)}`);
      result = await client.query({
        text: body.configuration.dryRun ? `SELECT * FROM (${text}) AS dry LIMIT 0` : text,
        values,
        rowMode: 'array',
        types: parsers,
      });
      // What a scan would read: the size of every table the query names.
      const size = await client.query<{ n: string }>(
        `SELECT coalesce(sum(pg_table_size(c.oid)), 0)::text AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'r' AND n.nspname NOT LIKE 'pg_%' AND position(c.relname in $1) > 0`,
        [text],
      );
      bytes = size.rows[0]!.n;
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      const e = err as { code?: string; message: string };
      if (e.code === '42P01')
        return apiError(
          404,
          'NOT_FOUND',
          'notFound',
          `Not found: Table ${options.project}:${e.message} was not found in location US`,
        );
      if (e.code === '42703')
        return apiError(400, 'INVALID_ARGUMENT', 'invalidQuery', `Unrecognized name: ${e.message}`);
      if (e.code === '57014')
        return failedJob(body, {
          reason: 'timeout',
          message: `Job execution was cancelled: Job timed out after ${Number(body.configuration.jobTimeoutMs) / 1000} sec`,
        });
      return apiError(400, 'INVALID_ARGUMENT', 'invalidQuery', `Syntax error: ${e.message}`);
    } finally {
      client.release();
    }
    const fields = result.fields.map(fieldOf);
    const jobId = body.jobReference?.jobId ?? randomUUID();
    const jobReference = { projectId: options.project, jobId, location: body.jobReference?.location ?? 'US' };
    if (!body.configuration.dryRun) {
      results.set(jobId, {
        fields,
        bytes,
        rows: (result.rows as unknown[][]).map((r) => r.map((v, i) => wire(v, fields[i]!))),
      });
    }
    return {
      json: {
        kind: 'bigquery#job',
        id: `${options.project}:US.${jobId}`,
        jobReference,
        configuration: body.configuration,
        status: { state: 'DONE' },
        statistics: {
          totalBytesProcessed: bytes,
          query: { totalBytesProcessed: bytes, schema: { fields }, statementType: 'SELECT' },
        },
      },
    };
  }

  /**
   * A job that failed while running: jobs.insert answers the job, DONE, with its errorResult and errors
   * (the client library turns `status.errors` into an ApiError carrying them).
   */
  function failedJob(
    body: { jobReference?: { jobId?: string; location?: string }; configuration: unknown },
    error: { reason: string; message: string },
  ): FakeResponse {
    const jobId = body.jobReference?.jobId ?? randomUUID();
    return {
      json: {
        kind: 'bigquery#job',
        id: `${options.project}:US.${jobId}`,
        jobReference: { projectId: options.project, jobId, location: body.jobReference?.location ?? 'US' },
        configuration: body.configuration,
        status: { state: 'DONE', errorResult: error, errors: [error] },
      },
    };
  }

  async function runStatements(
    body: { jobReference?: { jobId?: string; location?: string }; configuration: { dryRun?: boolean } },
    shape: ReturnType<typeof bigqueryStatements>,
  ): Promise<FakeResponse> {
    const jobId = body.jobReference?.jobId ?? randomUUID();
    const jobReference = { projectId: options.project, jobId, location: body.jobReference?.location ?? 'US' };
    if (!body.configuration.dryRun) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const schemas = await client.query<{ s: string }>(
          "SELECT nspname AS s FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' AND nspname <> 'information_schema'",
        );
        await client.query(
          `SET LOCAL search_path = ${schemas.rows.map((r) => pg.escapeIdentifier(r.s)).join(', ') || 'public'}`,
        );
        for (const statement of shape.statements) {
          if (/^(BEGIN|END)$/i.test(statement)) continue;
          await client.query(translate(statement.replace(/^BEGIN\s+/i, '').replace(/\s+END$/i, '')).text);
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        return apiError(400, 'INVALID_ARGUMENT', 'invalidQuery', `Query error: ${(err as Error).message}`);
      } finally {
        client.release();
      }
      results.set(jobId, { fields: [], bytes: '0', rows: [] });
    }
    return {
      json: {
        kind: 'bigquery#job',
        id: `${options.project}:US.${jobId}`,
        jobReference,
        configuration: body.configuration,
        status: { state: 'DONE' },
        statistics: {
          totalBytesProcessed: '0',
          query: { totalBytesProcessed: '0', statementType: shape.statementType },
        },
      },
    };
  }

  function queryResults(req: FakeRequest, jobId: string): FakeResponse {
    const r = results.get(jobId);
    if (!r) return apiError(404, 'NOT_FOUND', 'notFound', `Not found: Job ${options.project}:${jobId}`);
    const start = Number(req.url.searchParams.get('pageToken') ?? 0);
    const size = Math.min(Number(req.url.searchParams.get('maxResults') ?? PAGE_CAP), PAGE_CAP);
    const rows = r.rows.slice(start, start + size);
    pages++;
    return {
      json: {
        kind: 'bigquery#getQueryResultsResponse',
        schema: { fields: r.fields },
        jobReference: { projectId: options.project, jobId, location: 'US' },
        totalRows: String(r.rows.length),
        rows: rows.map((row) => ({ f: row.map((v) => ({ v })) })),
        jobComplete: true,
        totalBytesProcessed: r.bytes,
        ...(start + size < r.rows.length ? { pageToken: String(start + size) } : {}),
      },
    };
  }

  async function listing(parts: string[]): Promise<FakeResponse> {
    if (parts.length === 0) {
      const s = await pool.query<{ s: string }>(
        "SELECT nspname AS s FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' AND nspname NOT IN ('information_schema', 'public') ORDER BY 1",
      );
      return {
        json: {
          kind: 'bigquery#datasetList',
          datasets: s.rows.map((r) => ({
            id: `${options.project}:${r.s}`,
            datasetReference: { projectId: options.project, datasetId: r.s },
          })),
        },
      };
    }
    const [dataset, , table] = parts;
    if (table === undefined) {
      const t = await pool.query<{ t: string; k: string }>(
        'SELECT table_name AS t, table_type AS k FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
        [dataset],
      );
      return {
        json: {
          kind: 'bigquery#tableList',
          tables: t.rows.map((r) => ({
            id: `${options.project}:${dataset}.${r.t}`,
            type: r.k === 'VIEW' ? 'VIEW' : 'TABLE',
            tableReference: { projectId: options.project, datasetId: dataset, tableId: r.t },
          })),
          totalItems: t.rows.length,
        },
      };
    }
    const res = await pool
      .query({ text: `SELECT * FROM ${pg.escapeIdentifier(dataset!)}.${pg.escapeIdentifier(table)} LIMIT 0` })
      .catch(() => null);
    if (!res) return apiError(404, 'NOT_FOUND', 'notFound', `Not found: Table ${options.project}:${dataset}.${table}`);
    return {
      json: {
        kind: 'bigquery#table',
        type: 'TABLE',
        tableReference: { projectId: options.project, datasetId: dataset, tableId: table },
        schema: { fields: res.fields.map(fieldOf) },
      },
    };
  }

  const server = await startFakeServer(async (req) => {
    const m = /^\/bigquery\/v2\/projects\/([^/]+)(\/.*)?$/.exec(req.url.pathname);
    if (!m) return apiError(404, 'NOT_FOUND', 'notFound', `fake: no route ${req.url.pathname}`);
    const who = account(req);
    if ('status' in who || 'json' in who) return who;
    if (!(who as BigQueryFakeAccount).canQuery) {
      return apiError(
        403,
        'PERMISSION_DENIED',
        'accessDenied',
        `Access Denied: Project ${options.project}: User does not have bigquery.jobs.create permission in project ${options.project}.`,
      );
    }
    const rest = (m[2] ?? '').split('/').filter(Boolean);
    if (req.method === 'POST' && rest[0] === 'jobs' && rest.length === 1) return insertJob(req);
    // tables.testIamPermissions: the subset of the asked permissions the caller holds on the table.
    const iam = /^\/datasets\/([^/]+)\/tables\/([^/:]+)\/?:testIamPermissions$/.exec(m[2] ?? '');
    if (req.method === 'POST' && iam) {
      const asked = (req.body as { permissions?: string[] })?.permissions ?? [];
      const held = (who as BigQueryFakeAccount).tablePermissions ?? [];
      const granted = asked.filter((p) => held.includes(p));
      return { json: granted.length ? { permissions: granted } : {} };
    }
    if (req.method === 'GET' && rest[0] === 'queries' && rest[1]) return queryResults(req, rest[1]);
    if (req.method === 'GET' && rest[0] === 'datasets') return listing(rest.slice(1));
    return apiError(404, 'NOT_FOUND', 'notFound', `fake: no route ${req.method} ${req.url.pathname}`);
  });
  return {
    apiEndpoint: server.url,
    pagesServed: () => pages,
    async close() {
      await server.close();
      await pool.end();
    },
  };
}
