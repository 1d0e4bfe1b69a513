/**
 * BigQuery source (@google-cloud/bigquery): service-account auth, dataset and table discovery, keyset reads
 * as parameterised query jobs (named STRING parameters cast to the column's type), results read a page at a
 * time (getQueryResults with a page token, raw rows, never the whole result in memory), and dry runs that
 * report the bytes a query would scan (what BigQuery bills), shown in preview and by estimateScan().
 * Custom SQL is dry-run on its own first, and read only if BigQuery itself reports it as one SELECT
 * (statementType): a DML or DDL statement, or a script, never runs. A BigQuery SELECT cannot write.
 */
import { explorable } from '../explorerDiscovery';
import { BigQuery, type Job, type Query } from '@google-cloud/bigquery';
import { JWT } from 'google-auth-library';
import {
  ConfigurationError,
  type ConnectionConfig,
  type DiscoveredTable,
  type PreviewResult,
  type ReadRange,
  type Relation,
  type SourceColumn,
  type SourceConnector,
  type SourceExplorer,
  type SourceSession,
} from '../source';
import { keysetSql, subtractLag } from '../common/keyset';
import { clockBound } from '../common/timeText';
import { classifyBigQuery } from './bigqueryErrors';
import { type BqField, columnOf, quoteIdent, renderValue, typedParam } from './bigqueryTypes';
import { fromClause } from '../common/fromClause';
import { notReadOnly } from '../common/errors';
import { type KeyFilePolicy, readKeyFile } from '../common/keyFiles';
import { endpointHost, networkReach } from '../common/networkReach';
import { operatorPolicyFromEnv, type OperatorPolicy } from '../common/operatorPolicy';
import { canWriteWarning, writesWhatItReadsWarning } from '../common/writeWarnings';

type Row = (string | null)[];
type RawRow = { f?: { v?: unknown }[] };

interface Endpoint {
  bq: BigQuery;
  project: string;
  dataset: string;
  location?: string;
  pageSize: number;
  target: string;
  /** The operator's time limit for one query job, in seconds (jobTimeoutMs). */
  timeLimit: number;
  /** Who the connection acts as, for warnings: the service account's email. */
  who: string;
}

/** The IAM permission to change a table's rows (INSERT, UPDATE, DELETE, MERGE, loads, streaming). */
const WRITE_PERMISSION = 'bigquery.tables.updateData';
/** Tables of the connection's dataset a connection test asks about, at most (one request each). */
const TESTED_TABLES = 20;

/** The trailing `;` a single statement may end with, which would break the subquery it is wrapped in. */
const withoutTrailingSemicolon = (sql: string): string => sql.trim().replace(/;\s*$/, '');

class BigQuerySession implements SourceSession, SourceExplorer {
  private readonly columnCache = new Map<string, Promise<SourceColumn[]>>();
  /** Custom queries BigQuery has reported as a single SELECT (or the refusal), by query text. */
  private readonly verdicts = new Map<string, Promise<void>>();

  constructor(private readonly ep: Endpoint) {}

  /** `table`, `dataset.table` or `project.dataset.table`, qualified with the connection's defaults. */
  private tableRef(table: string): string {
    const parts = table.split('.');
    const full =
      parts.length === 1
        ? [this.ep.project, this.ep.dataset, ...parts]
        : parts.length === 2
          ? [this.ep.project, ...parts]
          : parts;
    return full.map(quoteIdent).join('.');
  }

  private fromClause(relation: Relation): string {
    return fromClause('bigquery', relation, (t) => this.tableRef(t), 'src', withoutTrailingSemicolon);
  }

  /**
   * Before any job carries a custom query, a dry run of the query alone: BigQuery parses it and says what
   * it is. Only SELECT is read; INSERT, DELETE, MERGE, DDL and SCRIPT (several statements, BEGIN … END) are
   * refused before anything runs. Dry runs are free and the verdict is kept for the session.
   */
  private onlySelect(relation?: Relation): Promise<void> {
    if (!relation || !('query' in relation)) return Promise.resolve();
    const sql = relation.query;
    let verdict = this.verdicts.get(sql);
    if (!verdict) {
      verdict = (async () => {
        let type: string | undefined;
        try {
          const [, response] = await this.job(sql, {}, true);
          type = (response as { statistics?: { query?: { statementType?: string } } }).statistics?.query?.statementType;
        } catch (err) {
          classifyBigQuery(err, this.ep.target, relation, this.ep.timeLimit);
        }
        if (type !== 'SELECT') {
          throw notReadOnly(
            'bigquery',
            new Error(`BigQuery reads it as ${type ?? 'an unknown kind of'} statement; give one SELECT`),
          );
        }
      })();
      verdict.catch(() => this.verdicts.delete(sql));
      this.verdicts.set(sql, verdict);
    }
    return verdict;
  }

  private job(query: string, params: Record<string, string>, dryRun = false) {
    const options: Query = {
      query,
      useLegacySql: false,
      location: this.ep.location,
      dryRun,
      params,
      types: Object.fromEntries(Object.keys(params).map((k) => [k, 'STRING'])),
      // BigQuery stops a job that runs past it (a dry run runs nothing).
      ...(dryRun ? {} : { jobTimeoutMs: this.ep.timeLimit * 1000 }),
    };
    return this.ep.bq.createQueryJob(options);
  }

  /** A dry run: the result's schema and the bytes the query would scan, without running it. */
  private async dryRun(
    query: string,
    relation?: Relation,
    params: Record<string, string> = {},
  ): Promise<{ fields: BqField[]; bytes: string }> {
    await this.onlySelect(relation);
    try {
      const [, response] = await this.job(query, params, true);
      const stats = (
        response as { statistics?: { totalBytesProcessed?: string; query?: { schema?: { fields?: BqField[] } } } }
      ).statistics;
      return { fields: stats?.query?.schema?.fields ?? [], bytes: String(stats?.totalBytesProcessed ?? '0') };
    } catch (err) {
      return classifyBigQuery(err, this.ep.target, relation, this.ep.timeLimit);
    }
  }

  /** Run a query and yield its pages of raw rows with the schema, one page in memory at a time. */
  private async *pages(
    query: string,
    params: Record<string, string>,
    relation?: Relation,
  ): AsyncIterable<{ fields: BqField[]; rows: RawRow[] }> {
    await this.onlySelect(relation);
    let job: Job;
    try {
      [job] = await this.job(query, params);
    } catch (err) {
      return classifyBigQuery(err, this.ep.target, relation, this.ep.timeLimit);
    }
    let pageToken: string | undefined;
    for (;;) {
      let rows: RawRow[];
      let response: { schema?: { fields?: BqField[] }; pageToken?: string; jobComplete?: boolean };
      try {
        const result = await job.getQueryResults({
          maxResults: this.ep.pageSize,
          pageToken,
          autoPaginate: false,
          skipParsing: true,
        });
        rows = (result[0] ?? []) as RawRow[];
        response = (result[2] ?? {}) as typeof response;
      } catch (err) {
        return classifyBigQuery(err, this.ep.target, relation, this.ep.timeLimit);
      }
      if (response.jobComplete === false) {
        await new Promise((r) => setTimeout(r, 200)); // still running: ask again
        continue;
      }
      yield { fields: response.schema?.fields ?? [], rows };
      if (!response.pageToken) return;
      pageToken = response.pageToken;
    }
  }

  private async *rows(query: string, params: Record<string, string>, relation?: Relation): AsyncIterable<Row> {
    for await (const page of this.pages(query, params, relation)) {
      for (const r of page.rows) yield page.fields.map((f, i) => renderValue(r.f?.[i]?.v, f));
    }
  }

  private async all(query: string, params: Record<string, string> = {}, relation?: Relation): Promise<Row[]> {
    const out: Row[] = [];
    for await (const r of this.rows(query, params, relation)) out.push(r);
    return out;
  }

  async test(): Promise<{ serverVersion: string; warnings: string[] }> {
    await this.all('SELECT 1');
    let names: string[];
    try {
      const [tables] = await this.ep.bq
        .dataset(this.ep.dataset, { projectId: this.ep.project })
        .getTables({ maxResults: TESTED_TABLES, autoPaginate: false });
      names = tables.map((t) => t.id!).filter(Boolean);
    } catch (err) {
      return classifyBigQuery(err, this.ep.target, undefined, this.ep.timeLimit);
    }
    const writable = await this.writable(names.map((t) => [this.ep.project, this.ep.dataset, t] as const));
    return {
      serverVersion: `BigQuery API v2, project ${this.ep.project}`,
      warnings: canWriteWarning('bigquery', this.ep.who, writable),
    };
  }

  /**
   * The tables among `tables` whose rows the connection may change, as BigQuery's IAM answers for each
   * (tables.testIamPermissions returns the subset of the asked permissions the caller holds).
   */
  private async writable(tables: (readonly [string, string, string])[]): Promise<string[]> {
    const out: string[] = [];
    for (const [project, dataset, table] of tables) {
      try {
        const [granted] = await this.ep.bq
          .dataset(dataset, { projectId: project })
          .table(table)
          .testIamPermissions([WRITE_PERMISSION]);
        if ((granted.permissions ?? []).includes(WRITE_PERMISSION)) out.push(`${dataset}.${table}`);
      } catch (err) {
        classifyBigQuery(err, this.ep.target, { table: `${dataset}.${table}` }, this.ep.timeLimit);
      }
    }
    return out;
  }

  /** Advice on the run when the connection may also change the rows of the table it reads. */
  async warnings(relation: Relation): Promise<string[]> {
    if (!('table' in relation)) return [];
    const parts = relation.table.split('.');
    const [project, dataset, table] =
      parts.length === 1
        ? [this.ep.project, this.ep.dataset, parts[0]!]
        : parts.length === 2
          ? [this.ep.project, parts[0]!, parts[1]!]
          : [parts[0]!, parts[1]!, parts[2]!];
    return writesWhatItReadsWarning('bigquery', this.ep.who, await this.writable([[project, dataset, table]]));
  }

  columns(relation: Relation): Promise<SourceColumn[]> {
    const key = JSON.stringify(relation);
    let cached = this.columnCache.get(key);
    if (!cached) {
      cached = (async () =>
        (await this.dryRun(`SELECT * FROM ${this.fromClause(relation)} LIMIT 0`, relation)).fields.map(columnOf))();
      cached.catch(() => this.columnCache.delete(key));
      this.columnCache.set(key, cached);
    }
    return cached;
  }

  private async column(relation: Relation, name: string): Promise<SourceColumn> {
    const found = (await this.columns(relation)).find((c) => c.name === name);
    if (!found)
      throw new ConfigurationError(
        `bigquery: column "${name}" does not exist in ${'table' in relation ? `table ${relation.table}` : 'the custom query'}`,
      );
    return found;
  }

  /** Every table and view of every dataset the service account can list. */
  async discover(): Promise<DiscoveredTable[]> {
    try {
      const [datasets] = await this.ep.bq.getDatasets();
      const out: DiscoveredTable[] = [];
      for (const ds of datasets) {
        const [tables] = await ds.getTables();
        for (const t of tables) {
          const [meta] = await t.getMetadata();
          const m = meta as { type?: string; schema?: { fields?: BqField[] } };
          out.push({
            table: ds.id === this.ep.dataset ? t.id! : `${ds.id}.${t.id}`,
            kind: m.type === 'VIEW' || m.type === 'MATERIALIZED_VIEW' ? 'view' : 'table',
            columns: (m.schema?.fields ?? []).map(columnOf),
          });
        }
      }
      return out;
    } catch (err) {
      return classifyBigQuery(err, this.ep.target, undefined, this.ep.timeLimit);
    }
  }

  async preview(relation: Relation, limit: number): Promise<PreviewResult> {
    const columns = await this.columns(relation);
    const query = `SELECT * FROM ${this.fromClause(relation)} LIMIT ${Math.trunc(limit)}`;
    // LIMIT does not reduce what BigQuery scans (or bills): the dry run says what the preview costs.
    const { bytes } = await this.dryRun(query, relation);
    return { columns, rows: await this.all(query, {}, relation), bytesScanned: bytes };
  }

  /** Bytes a full read of the relation would scan (for a dry run of the import). */
  async estimateScan(relation: Relation): Promise<string> {
    return (await this.dryRun(`SELECT * FROM ${this.fromClause(relation)}`, relation)).bytes;
  }

  async count(relation: Relation, range?: { cursor: string; key: string; upperBound: string }): Promise<number> {
    let where = '';
    const params: Record<string, string> = {};
    if (range) {
      const c = await this.column(relation, range.cursor);
      params.bound = range.upperBound;
      where = ` WHERE src.${quoteIdent(range.cursor)} IS NOT NULL AND src.${quoteIdent(range.key)} IS NOT NULL
        AND src.${quoteIdent(range.cursor)} <= ${typedParam(c, '@bound')}`;
    }
    const rows = await this.all(`SELECT COUNT(*) FROM ${this.fromClause(relation)}${where}`, params, relation);
    return Number(rows[0]?.[0] ?? 0);
  }

  async upperBound(relation: Relation, cursor: SourceColumn, lag: number, timeZone: string): Promise<string | null> {
    if (cursor.cursorKind === 'time') {
      // BigQuery's clock, so a skewed worker clock cannot move the bound; the lag is subtracted exactly here.
      // DATETIME and DATE have no zone: their bound is the import's wall clock (see clockBound).
      const [[now]] = (await this.all('SELECT CURRENT_TIMESTAMP()')) as [Row];
      const kind = cursor.sourceType === 'DATE' ? 'date' : cursor.sourceType === 'DATETIME' ? 'wall' : 'instant';
      return clockBound(now!, lag, kind, timeZone);
    }
    const rows = await this.all(
      `SELECT MAX(src.${quoteIdent(cursor.name)}) FROM ${this.fromClause(relation)}`,
      {},
      relation,
    );
    const max = rows[0]?.[0] ?? null;
    if (max === null) return null;
    return cursor.cursorKind === 'number' ? subtractLag(max, lag) : max;
  }

  async countNullCursor(relation: Relation, cursor: string, key: string): Promise<number> {
    const rows = await this.all(
      `SELECT COUNT(*) FROM ${this.fromClause(relation)} WHERE src.${quoteIdent(cursor)} IS NULL OR src.${quoteIdent(key)} IS NULL`,
      {},
      relation,
    );
    return Number(rows[0]?.[0] ?? 0);
  }

  async *read(relation: Relation, columns: string[], range: ReadRange): AsyncIterable<Row> {
    const cursorCol = await this.column(relation, range.cursor);
    const keyCol = await this.column(relation, range.key);
    const params: Record<string, string> = {};
    const ks = keysetSql(
      `src.${quoteIdent(range.cursor)}`,
      `src.${quoteIdent(range.key)}`,
      range.after,
      range.upperBound,
      (which, v) => {
        const name = `p${Object.keys(params).length}`;
        params[name] = v;
        return typedParam(which === 'cursor' ? cursorCol : keyCol, `@${name}`);
      },
    );
    const query = `SELECT ${columns.map((c) => `src.${quoteIdent(c)}`).join(', ')} FROM ${this.fromClause(relation)}
      WHERE ${ks.where} ORDER BY ${ks.orderBy} LIMIT ${Math.trunc(range.limit)}`;
    yield* this.rows(query, params, relation);
  }

  async close(): Promise<void> {
    // The client is shared per connection URL.
  }
}

type ServiceAccountKey = { client_email: string; private_key: string; private_key_id?: string };

/**
 * The service-account key of `key_file=` (a path) or `credentials=` (base64 JSON). A key that does not parse
 * is named by its field with the reason only: the parser's own message quotes the text around the fault,
 * which is the secret (or, for a key_file pointing anywhere, the start of any file the worker can read).
 */
function serviceAccountKey(q: URLSearchParams, keys: KeyFilePolicy): ServiceAccountKey | undefined {
  const keyFile = q.get('key_file');
  const inline = q.get('credentials');
  let field: 'key_file' | 'credentials';
  let text: string;
  if (keyFile) {
    field = 'key_file';
    text = readKeyFile(keyFile, 'bigquery: key_file', keys).toString('utf8');
  } else if (inline) {
    field = 'credentials';
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(inline.replace(/\s/g, '')))
      throw new ConfigurationError('bigquery: credentials: is not base64');
    text = Buffer.from(inline, 'base64').toString('utf8');
  } else return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ConfigurationError(`bigquery: ${field}: is not a service-account key (not JSON)`);
  }
  const k = (doc && typeof doc === 'object' ? doc : {}) as Record<string, unknown>;
  if (typeof k.client_email !== 'string' || typeof k.private_key !== 'string' || !k.client_email || !k.private_key) {
    throw new ConfigurationError(`bigquery: ${field}: the service-account key needs client_email and private_key`);
  }
  return {
    client_email: k.client_email,
    private_key: k.private_key,
    private_key_id: typeof k.private_key_id === 'string' ? k.private_key_id : undefined,
  };
}

/**
 * bigquery://project/dataset?location=US&key_file=/path/service-account.json (or credentials=<base64 JSON>);
 * without either, Application Default Credentials. `api_endpoint=` points at another endpoint (the local fake).
 */
/** `policy`: where a key_file may be, and the statement time limit its query jobs carry. */
export function bigqueryEndpoint(
  url: string,
  policy: KeyFilePolicy & Pick<OperatorPolicy, 'sourceStatementTimeoutSeconds'> = operatorPolicyFromEnv(),
): Endpoint {
  const u = new URL(url);
  const q = u.searchParams;
  const project = decodeURIComponent(u.hostname);
  const dataset = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!project || !dataset)
    throw new ConfigurationError('bigquery: the connection URL must be bigquery://project/dataset?key_file=…');
  const key = serviceAccountKey(q, policy);
  let authClient: JWT | undefined;
  if (key) {
    // A self-signed JWT per request (as Google's own client libraries do for service accounts): no token
    // exchange round trip, and the same path whichever endpoint answers.
    authClient = new JWT({
      email: key.client_email,
      key: key.private_key,
      keyId: key.private_key_id,
      scopes: ['https://www.googleapis.com/auth/bigquery'],
    });
    authClient.useJWTAccessWithScope = true;
  }
  const apiEndpoint = q.get('api_endpoint') ?? undefined;
  const bq = new BigQuery({
    projectId: project,
    location: q.get('location') ?? undefined,
    apiEndpoint,
    ...(authClient ? { authClient } : {}),
    // One quick retry for a dropped request; longer outages are the activity's retry policy's to handle.
    retryOptions: { autoRetry: true, maxRetries: 1, totalTimeout: 30 },
  });
  return {
    bq,
    project,
    dataset,
    location: q.get('location') ?? undefined,
    pageSize: Number(q.get('page_size') ?? 10_000),
    target: apiEndpoint ?? 'bigquery.googleapis.com',
    timeLimit: policy.sourceStatementTimeoutSeconds,
    who: key ? `"${key.client_email}"` : '(application default credentials)',
  };
}

/** `policy`: where a connection's key_file may be, what its endpoint may be, and its time limit (the environment's by default). */
export function createBigQueryConnector(
  policy: OperatorPolicy = operatorPolicyFromEnv(),
): SourceConnector & { closeAll(): Promise<void> } {
  const endpoints = new Map<string, Endpoint>();
  const reach = networkReach(policy);
  return explorable({
    kind: 'bigquery',
    async open(config: ConnectionConfig) {
      let ep = endpoints.get(config.url);
      if (!ep) {
        ep = bigqueryEndpoint(config.url, policy);
        endpoints.set(config.url, ep);
      }
      // The client opens its own connections, so the endpoint's name is judged as it resolves now, at each open.
      if (!config.operatorDefined) await reach.vet(endpointHost(ep.target));
      return new BigQuerySession(ep);
    },
    async closeAll() {
      endpoints.clear();
    },
  });
}
