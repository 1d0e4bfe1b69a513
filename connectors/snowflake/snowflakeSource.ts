/**
 * Snowflake source (snowflake-sdk): password or key-pair (JWT) login with account, warehouse, role,
 * database and schema; keyset reads streamed row by row from the result chunks (the SDK fetches chunks as
 * the stream is read, so a large batch never sits in memory whole); every value as exact text: numbers
 * as the server's digits (fetchAsString), timestamps formatted by the server (see snowflakeTypes.ts).
 * Snowflake has no read-only session: custom SQL is checked with Snowflake's quoting rules, sent as a
 * subquery with MULTI_STATEMENT_COUNT=1 (the server refuses a second statement), and a SELECT cannot write.
 */
import { explorable } from '../explorerDiscovery';
import { createPrivateKey } from 'node:crypto';
import snowflake from 'snowflake-sdk';
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
import { classifySnowflake } from './snowflakeErrors';
import { bindText, columnOf, quoteIdent, quoteTable, textExpr, typedBind, TZ_FORMAT } from './snowflakeTypes';
import { fromClause as sharedFromClause } from '../common/fromClause';
import { type KeyFilePolicy, readKeyFile } from '../common/keyFiles';
import { endpointHost, networkReach } from '../common/networkReach';
import { operatorPolicyFromEnv, type OperatorPolicy } from '../common/operatorPolicy';
import { checkSnowflakeQuery, statementParameters } from './snowflakeSqlGuard';
import { canWriteWarning, writesWhatItReadsWarning } from '../common/writeWarnings';

type Row = (string | null)[];

// The SDK logs every failure it reports to us, and warns per value beyond 2^53 (we keep those as text).
snowflake.configure({ logLevel: 'OFF' });

/** Everything the SDK could convert comes back as text: numbers keep every digit. */
const AS_STRING: snowflake.DataType[] = ['Number', 'Boolean', 'Date', 'JSON', 'Buffer'];

const fromClause = (relation: Relation): string =>
  sharedFromClause('snowflake', relation, quoteTable, 'SRC', checkSnowflakeQuery);

interface Endpoint {
  options: snowflake.ConnectionOptions;
  target: string;
  /** Sent with every statement (see snowflakeSqlGuard.ts). */
  parameters: Record<string, number>;
  connection?: Promise<snowflake.Connection>;
}

function connect(ep: Endpoint): Promise<snowflake.Connection> {
  if (!ep.connection) {
    ep.connection = new Promise<snowflake.Connection>((resolve, reject) => {
      const conn = snowflake.createConnection(ep.options);
      conn.connect((err) => (err ? reject(err) : resolve(conn)));
    });
    // A failed login is not cached: the next attempt (an activity retry) logs in again.
    ep.connection.catch(() => {
      ep.connection = undefined;
    });
  }
  return ep.connection.catch((e) => classifySnowflake(e, ep.target));
}

/** Values the SDK still hands over as objects (structured types) become JSON text. */
const asText = (v: unknown): string | null =>
  v === null || v === undefined
    ? null
    : typeof v === 'string'
      ? v
      : typeof v === 'object'
        ? JSON.stringify(v)
        : String(v);

class SnowflakeSession implements SourceSession, SourceExplorer {
  private readonly columnCache = new Map<string, Promise<SourceColumn[]>>();

  constructor(private readonly ep: Endpoint) {}

  /** A small query: all rows as arrays of text, and the statement (for column metadata). */
  private async query(
    sqlText: string,
    binds: string[] = [],
    relation?: Relation,
  ): Promise<{ rows: Row[]; stmt: snowflake.RowStatement }> {
    const conn = await connect(this.ep);
    return new Promise<{ rows: Row[]; stmt: snowflake.RowStatement }>((resolve, reject) => {
      conn.execute({
        sqlText,
        binds,
        fetchAsString: AS_STRING,
        rowMode: 'array',
        parameters: this.ep.parameters,
        complete: (err, stmt, rows) =>
          err ? reject(err) : resolve({ rows: ((rows ?? []) as unknown[][]).map((r) => r.map(asText)), stmt }),
      });
    }).catch((e) => classifySnowflake(e, this.ep.target, relation, this.ep.parameters.STATEMENT_TIMEOUT_IN_SECONDS));
  }

  async test(): Promise<{ serverVersion: string; warnings: string[] }> {
    const { rows } = await this.query('SELECT CURRENT_VERSION()');
    const writable = await this.writableTables();
    return {
      serverVersion: rows[0]?.[0] ?? '',
      warnings: canWriteWarning(
        'snowflake',
        this.role(writable),
        writable.map((w) => w.name),
      ),
    };
  }

  /**
   * Tables of the connection's database whose rows the session's roles may change: INSERT, UPDATE, DELETE,
   * TRUNCATE or OWNERSHIP granted to the current role or a role it inherits (INFORMATION_SCHEMA
   * TABLE_PRIVILEGES, against ENABLED_ROLES).
   */
  private async writableTables(): Promise<
    { schema: string; table: string; name: string; role: string; current: boolean }[]
  > {
    const { rows } = await this.query(
      `SELECT DISTINCT TABLE_SCHEMA, TABLE_NAME, CURRENT_ROLE(), CURRENT_SCHEMA() FROM INFORMATION_SCHEMA.TABLE_PRIVILEGES
       WHERE PRIVILEGE_TYPE IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'OWNERSHIP')
         AND (GRANTEE = CURRENT_ROLE() OR GRANTEE IN (SELECT ROLE_NAME FROM INFORMATION_SCHEMA.ENABLED_ROLES))
       ORDER BY 1, 2`,
    );
    return rows.map(([schema, table, role, current]) => ({
      schema: schema!,
      table: table!,
      name: `${schema}.${table}`,
      role: role ?? '',
      current: schema === current,
    }));
  }

  /** The user and the role the warning is about. */
  private role(writable: { role: string }[]): string {
    return `"${this.ep.options.username ?? ''}" (role ${writable[0]?.role ?? ''})`;
  }

  /** Advice on the run when the session's roles may also change the rows of the table it reads. */
  async warnings(relation: Relation): Promise<string[]> {
    if (!('table' in relation)) return [];
    const parts = relation.table.split('.');
    const table = parts[parts.length - 1]!;
    const schema = parts.length >= 2 ? parts[parts.length - 2] : undefined;
    // Unquoted names are stored upper-cased (quoteIdent follows the same rule).
    const stored = (n: string) => (/^[a-z_][a-z0-9_$]*$/.test(n) ? n.toUpperCase() : n);
    const writable = await this.writableTables();
    const hit = writable.filter(
      (w) => w.table === stored(table) && (schema === undefined ? w.current : w.schema === stored(schema)),
    );
    return writesWhatItReadsWarning(
      'snowflake',
      this.role(writable),
      hit.map((w) => w.name),
    );
  }

  columns(relation: Relation): Promise<SourceColumn[]> {
    const key = JSON.stringify(relation);
    let cached = this.columnCache.get(key);
    if (!cached) {
      cached = (async () => {
        const { stmt } = await this.query(`SELECT * FROM ${fromClause(relation)} LIMIT 0`, [], relation);
        return (stmt.getColumns() ?? []).map((c) => columnOf(c.getName(), c.getType(), c.getScale()));
      })();
      cached.catch(() => this.columnCache.delete(key));
      this.columnCache.set(key, cached);
    }
    return cached;
  }

  private async column(relation: Relation, name: string): Promise<SourceColumn> {
    const found = (await this.columns(relation)).find((c) => c.name === name);
    if (!found)
      throw new ConfigurationError(
        `snowflake: column "${name}" does not exist in ${'table' in relation ? `table ${relation.table}` : 'the custom query'}`,
      );
    return found;
  }

  private async selectList(relation: Relation, columns: string[]): Promise<string> {
    const cols = await Promise.all(columns.map((c) => this.column(relation, c)));
    return cols.map((c) => textExpr(`SRC.${quoteIdent(c.name)}`, c)).join(', ');
  }

  async discover(): Promise<DiscoveredTable[]> {
    const tables = await this.query(
      'SELECT TABLE_NAME, TABLE_TYPE FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = CURRENT_SCHEMA() ORDER BY TABLE_NAME',
    );
    const columns = await this.query(
      `SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, NUMERIC_SCALE FROM INFORMATION_SCHEMA.COLUMNS
       WHERE TABLE_SCHEMA = CURRENT_SCHEMA() ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    );
    const out = new Map<string, DiscoveredTable>();
    for (const [name, type] of tables.rows) {
      out.set(name!, {
        table: name!.toUpperCase() === name ? name.toLowerCase() : name!,
        kind: /VIEW/i.test(type ?? '') ? 'view' : 'table',
        columns: [],
      });
    }
    for (const [table, name, type, scale] of columns.rows) {
      out
        .get(table!)
        ?.columns.push(columnOf(name!, type!, scale === null || scale === undefined ? null : Number(scale)));
    }
    return [...out.values()];
  }

  async preview(relation: Relation, limit: number): Promise<PreviewResult> {
    const columns = await this.columns(relation);
    const select = await this.selectList(
      relation,
      columns.map((c) => c.name),
    );
    const { rows } = await this.query(
      `SELECT ${select} FROM ${fromClause(relation)} LIMIT ${Math.trunc(limit)}`,
      [],
      relation,
    );
    return { columns, rows };
  }

  async count(relation: Relation, range?: { cursor: string; key: string; upperBound: string }): Promise<number> {
    let where = '';
    const binds: string[] = [];
    if (range) {
      const c = await this.column(relation, range.cursor);
      where = ` WHERE SRC.${quoteIdent(range.cursor)} IS NOT NULL AND SRC.${quoteIdent(range.key)} IS NOT NULL
        AND SRC.${quoteIdent(range.cursor)} <= ${typedBind(c)}`;
      binds.push(bindText(c, range.upperBound));
    }
    const { rows } = await this.query(`SELECT COUNT(*) FROM ${fromClause(relation)}${where}`, binds, relation);
    return Number(rows[0]?.[0] ?? 0);
  }

  async upperBound(relation: Relation, cursor: SourceColumn, lag: number, timeZone: string): Promise<string | null> {
    if (cursor.cursorKind === 'time') {
      // The warehouse's clock, so a skewed worker clock cannot move the bound; the lag is subtracted exactly here.
      // TIMESTAMP_NTZ and DATE have no zone: their bound is the import's wall clock (see clockBound).
      const { rows } = await this.query(`SELECT TO_VARCHAR(CURRENT_TIMESTAMP(), '${TZ_FORMAT}')`);
      const kind = cursor.sourceType === 'DATE' ? 'date' : cursor.sourceType === 'TIMESTAMP_NTZ' ? 'wall' : 'instant';
      return clockBound(rows[0]![0]!, lag, kind, timeZone);
    }
    const { rows } = await this.query(
      `SELECT MAX(SRC.${quoteIdent(cursor.name)}) FROM ${fromClause(relation)}`,
      [],
      relation,
    );
    const max = rows[0]?.[0] ?? null;
    if (max === null) return null;
    return cursor.cursorKind === 'number' ? subtractLag(max, lag) : max;
  }

  async countNullCursor(relation: Relation, cursor: string, key: string): Promise<number> {
    const { rows } = await this.query(
      `SELECT COUNT(*) FROM ${fromClause(relation)} WHERE SRC.${quoteIdent(cursor)} IS NULL OR SRC.${quoteIdent(key)} IS NULL`,
      [],
      relation,
    );
    return Number(rows[0]?.[0] ?? 0);
  }

  async *read(relation: Relation, columns: string[], range: ReadRange): AsyncIterable<Row> {
    const cursorCol = await this.column(relation, range.cursor);
    const keyCol = await this.column(relation, range.key);
    const binds: string[] = [];
    const ks = keysetSql(
      `SRC.${quoteIdent(range.cursor)}`,
      `SRC.${quoteIdent(range.key)}`,
      range.after,
      range.upperBound,
      (which, v) => {
        const col = which === 'cursor' ? cursorCol : keyCol;
        binds.push(bindText(col, v));
        return typedBind(col);
      },
    );
    const select = await this.selectList(relation, columns);
    const sqlText = `SELECT ${select} FROM ${fromClause(relation)} WHERE ${ks.where} ORDER BY ${ks.orderBy} LIMIT ${Math.trunc(range.limit)}`;
    const conn = await connect(this.ep);
    const stmt = await new Promise<snowflake.RowStatement>((resolve, reject) => {
      conn.execute({
        sqlText,
        binds,
        streamResult: true,
        fetchAsString: AS_STRING,
        rowMode: 'array',
        parameters: this.ep.parameters,
        complete: (err, s) => (err ? reject(err) : resolve(s)),
      });
    }).catch((e) => classifySnowflake(e, this.ep.target, relation, this.ep.parameters.STATEMENT_TIMEOUT_IN_SECONDS));
    const stream = stmt.streamRows();
    try {
      for await (const row of stream as AsyncIterable<unknown[]>) yield row.map(asText);
    } catch (err) {
      classifySnowflake(err, this.ep.target, relation, this.ep.parameters.STATEMENT_TIMEOUT_IN_SECONDS);
    } finally {
      stream.destroy();
    }
  }

  async close(): Promise<void> {
    // The connection (a Snowflake session) is shared per URL and closed with the connector.
  }
}

/**
 * snowflake://user:password@account/database/schema?warehouse=WH&role=ROLE
 * Key-pair: snowflake://user@account/database/schema?private_key_path=/path/key.p8[&private_key_pass=…]
 * (or private_key=<PEM>). `access_url=` points at another endpoint (private link, or the local fake).
 */
export function snowflakeOptions(
  url: string,
  keys: KeyFilePolicy = operatorPolicyFromEnv(),
): { options: snowflake.ConnectionOptions; target: string } {
  const u = new URL(url);
  const q = u.searchParams;
  const [database, schema] = u.pathname.replace(/^\//, '').split('/').map(decodeURIComponent);
  const account = decodeURIComponent(u.hostname);
  if (!account || !database || !schema) {
    throw new ConfigurationError(
      'snowflake: the connection URL must be snowflake://user:password@account/database/schema?warehouse=…',
    );
  }
  const privateKeyPath = q.get('private_key_path');
  // Read here, within the operator's key folders, rather than by the SDK from wherever the path points.
  const privateKey = privateKeyPath
    ? keyPairKey(readKeyFile(privateKeyPath, 'snowflake: private_key_path', keys), q.get('private_key_pass'))
    : q.get('private_key');
  const keyPair = Boolean(privateKeyPath || privateKey);
  const options: snowflake.ConnectionOptions = {
    account,
    username: decodeURIComponent(u.username),
    database,
    schema,
    warehouse: q.get('warehouse') ?? undefined,
    role: q.get('role') ?? undefined,
    application: 'tributary',
    // One login attempt per activity attempt: Temporal's retry policy does the retrying, with backoff.
    sfRetryMaxLoginRetries: 1,
    ...(keyPair
      ? {
          authenticator: 'SNOWFLAKE_JWT',
          privateKey: privateKey ?? undefined,
          privateKeyPass: privateKeyPath ? undefined : (q.get('private_key_pass') ?? undefined),
        }
      : { password: decodeURIComponent(u.password) }),
    ...(q.get('access_url') ? { accessUrl: q.get('access_url')! } : {}),
  };
  return { options, target: q.get('access_url') ?? `${account}.snowflakecomputing.com` };
}

/**
 * A key file's key as the SDK takes it inline: PEM, decrypted with the passphrase when there is one (as the
 * SDK does for a key it reads from a path). What OpenSSL says of a bad key names no byte of it.
 */
function keyPairKey(file: Buffer, passphrase: string | null): string {
  try {
    return createPrivateKey({ key: file, format: 'pem', ...(passphrase ? { passphrase } : {}) })
      .export({ format: 'pem', type: 'pkcs8' })
      .toString();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new ConfigurationError(
      `snowflake: private_key_path: cannot be read as a private key${typeof code === 'string' ? ` (${code})` : ''}`,
    );
  }
}

export function createSnowflakeConnector(
  policy: OperatorPolicy = operatorPolicyFromEnv(),
): SourceConnector & { closeAll(): Promise<void> } {
  const endpoints = new Map<string, Endpoint>();
  const reach = networkReach(policy);
  return explorable({
    kind: 'snowflake',
    async open(config: ConnectionConfig) {
      let ep = endpoints.get(config.url);
      if (!ep) {
        ep = {
          ...snowflakeOptions(config.url, policy),
          parameters: statementParameters(policy.sourceStatementTimeoutSeconds),
        };
        endpoints.set(config.url, ep);
      }
      // The SDK opens its own connections, so the endpoint's name is judged as it resolves now, at each open.
      if (!config.operatorDefined) await reach.vet(endpointHost(ep.target));
      return new SnowflakeSession(ep);
    },
    async closeAll() {
      await Promise.all(
        [...endpoints.values()].map(async (ep) => {
          const conn = await ep.connection?.catch(() => undefined);
          if (conn) await new Promise<void>((resolve) => conn.destroy(() => resolve()));
        }),
      );
      endpoints.clear();
    },
  });
}
