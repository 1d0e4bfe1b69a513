/**
 * MySQL / MariaDB source (mysql2): streamed keyset reads in a READ ONLY transaction with the session in
 * UTC. Every value crosses as the server's own text: DECIMAL and BIGINT keep every digit, DATETIME(6)
 * keeps its microseconds and no zone (it has none: the import's time zone applies), TIMESTAMP is an
 * instant and gets a `Z` because the session renders it in UTC.
 */
import { explorable } from '../explorerDiscovery';
import mysql from 'mysql2';
import type { Pool, PoolConnection, TypeCastField } from 'mysql2';
import type { Pool as PromisePool, PoolConnection as PromiseConnection } from 'mysql2/promise';
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
import { classifyMysql } from './mysqlErrors';
import { columnOf, dataTypeOfField } from './mysqlTypes';
import { fromClause } from '../common/fromClause';
import { networkReach } from '../common/networkReach';
import { operatorPolicyFromEnv, type OperatorPolicy } from '../common/operatorPolicy';
import { tcpStream } from '../common/reachingSockets';
import { checkMysqlQuery, type MysqlSqlMode, sqlModeOf } from './mysqlSqlGuard';
import { logDropped } from '../common/droppedConnection';
import { connectionWarnings, runWarnings, writeGrants } from './mysqlWriteGrants';

type Row = (string | null)[];

export const quoteIdent = (name: string): string => `\`${name.replace(/`/g, '``')}\``;
export const quoteTable = (table: string): string => table.split('.').map(quoteIdent).join('.');

/** What a session learns about its server once, on first use. */
interface ServerFacts {
  /** The sql_mode flags that decide how custom SQL is tokenized. */
  mode: MysqlSqlMode;
  /** The statement that bounds each statement's run time (MariaDB and MySQL name it differently). */
  timeLimit: string;
}

interface Endpoint {
  pool: Pool;
  target: string;
  policy: OperatorPolicy;
  facts?: Promise<ServerFacts>;
}

/** Text for every type; TIMESTAMP marked as UTC (the session's zone). */
function typeCast(field: TypeCastField): string | null {
  const s = field.string('utf8');
  if (s !== null && (field.type === 'TIMESTAMP' || field.type === 'TIMESTAMP2') && !s.startsWith('0000'))
    return `${s}Z`;
  return s;
}

/**
 * A value compared with a column of this type, kept exact (numbers as DECIMAL, not double), written into the
 * SQL as a literal whose reading does not depend on the server's sql_mode: digits, or utf8mb4 text in hex.
 * Statements that carry custom SQL are sent without driver placeholders, because the driver's placeholder
 * scan does not know the server's sql_mode and would read the user's quotes (and so place values)
 * differently from the server.
 */
function literal(column: SourceColumn, value: string): string {
  if (column.cursorKind === 'number' && /^-?\d+(\.\d+)?$/.test(value)) {
    return column.sourceType === 'float' || column.sourceType === 'double'
      ? `CAST(${value} AS DOUBLE)`
      : `CAST(${value} AS DECIMAL(65,30))`;
  }
  const text = column.sourceType === 'timestamp' ? value.replace(/Z$/, '') : value;
  return text === '' ? "_utf8mb4''" : `_utf8mb4 X'${Buffer.from(text, 'utf8').toString('hex')}'`;
}

class MysqlSession implements SourceSession, SourceExplorer {
  private readonly columnCache = new Map<string, Promise<SourceColumn[]>>();

  private readonly pool: Pool;
  private readonly target: string;
  /** Set by `prepare` before any SQL naming the relation is built. */
  private mode: MysqlSqlMode | undefined;

  constructor(private readonly ep: Endpoint) {
    this.pool = ep.pool;
    this.target = ep.target;
  }

  private get promisePool(): PromisePool {
    return this.pool.promise();
  }

  /**
   * The server's sql_mode and flavour, read once per endpoint from a fresh session (the pool resets sessions),
   * and the user's global SUPER and FILE privileges: with them a query can read the server's files
   * (LOAD_FILE) or bypass read_only, so such a user is refused unless the operator allows it.
   */
  private async facts(conn: PromiseConnection): Promise<ServerFacts> {
    if (!this.ep.facts) {
      this.ep.facts = (async () => {
        const [rows] = await conn.query({
          sql: `SELECT @@SESSION.sql_mode, VERSION(),
                  (SELECT GROUP_CONCAT(DISTINCT PRIVILEGE_TYPE ORDER BY PRIVILEGE_TYPE SEPARATOR ', ')
                   FROM information_schema.USER_PRIVILEGES
                   WHERE PRIVILEGE_TYPE IN ('SUPER', 'FILE') AND GRANTEE = CONCAT('''',
                     LEFT(CURRENT_USER(), CHAR_LENGTH(CURRENT_USER()) - CHAR_LENGTH(SUBSTRING_INDEX(CURRENT_USER(), '@', -1)) - 1),
                     '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), ''''))`,
          rowsAsArray: true,
        });
        const [mode, version, privileges] = (rows as (string | null)[][])[0]!;
        if (privileges && !this.ep.policy.allowSuperuserSources) {
          throw new ConfigurationError(
            `mysql: the connection's user has the ${privileges} privilege, which lets a query reach beyond ` +
              'the tables it reads; connect as a user with SELECT only (or the operator sets TRIBUTARY_ALLOW_SUPERUSER_SOURCES=1)',
          );
        }
        const seconds = this.ep.policy.sourceStatementTimeoutSeconds;
        return {
          mode: sqlModeOf(String(mode)),
          timeLimit: /mariadb/i.test(String(version))
            ? `SET SESSION max_statement_time = ${seconds}`
            : `SET SESSION max_execution_time = ${seconds * 1000}`,
        };
      })();
      this.ep.facts.catch(() => {
        this.ep.facts = undefined;
      });
    }
    return this.ep.facts;
  }

  /** The FROM clause of a relation; custom SQL is checked with the server's own quoting rules. */
  private fromClause(relation: Relation): string {
    const mode = this.mode;
    if (!mode) throw new Error("mysql: the session has not read the server's sql_mode yet");
    return fromClause('mysql', relation, quoteTable, 'src', (sql) => checkMysqlQuery(sql, mode));
  }

  /** UTC, a bounded statement time, READ ONLY: every connection is set up so before user SQL reaches it. */
  private async prepare(conn: PromiseConnection): Promise<void> {
    const facts = await this.facts(conn);
    this.mode = facts.mode;
    await conn.query("SET time_zone = '+00:00'");
    await conn.query(facts.timeLimit);
    await conn.query('START TRANSACTION READ ONLY');
  }

  /** A connection in UTC inside a READ ONLY transaction: writes hidden in a custom query fail. */
  private async readOnly<T>(fn: (conn: PromiseConnection) => Promise<T>, relation?: Relation): Promise<T> {
    const conn = await this.promisePool.getConnection().catch((e) => classifyMysql(e, this.target));
    try {
      await this.prepare(conn);
      const result = await fn(conn);
      await conn.query('COMMIT');
      return result;
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      return classifyMysql(err, this.target, relation, this.ep.policy.sourceStatementTimeoutSeconds);
    } finally {
      conn.release();
    }
  }

  async test(): Promise<{ serverVersion: string; warnings: string[] }> {
    return this.readOnly(async (conn) => {
      const [rows] = await conn.query({ sql: 'SELECT VERSION()', rowsAsArray: true });
      return {
        serverVersion: String((rows as unknown[][])[0]![0]),
        warnings: connectionWarnings(await writeGrants(conn)),
      };
    });
  }

  /** Advice on the run when the user can also write to what the import reads (mysqlWriteGrants.ts). */
  async warnings(relation: Relation): Promise<string[]> {
    return this.readOnly(async (conn) => runWarnings(await writeGrants(conn), relation), relation);
  }

  columns(relation: Relation): Promise<SourceColumn[]> {
    const key = JSON.stringify(relation);
    let cached = this.columnCache.get(key);
    if (!cached) {
      cached = this.readOnly(async (conn) => {
        const [, fields] = await conn.query({
          sql: `SELECT * FROM ${this.fromClause(relation)} LIMIT 0`,
          rowsAsArray: true,
        });
        return fields.map((f) => columnOf(f.name, dataTypeOfField(f)));
      }, relation);
      cached.catch(() => this.columnCache.delete(key));
      this.columnCache.set(key, cached);
    }
    return cached;
  }

  private async column(relation: Relation, name: string): Promise<SourceColumn> {
    const found = (await this.columns(relation)).find((c) => c.name === name);
    if (!found)
      throw new ConfigurationError(
        `mysql: column "${name}" does not exist in ${'table' in relation ? `table ${relation.table}` : 'the custom query'}`,
      );
    return found;
  }

  async discover(): Promise<DiscoveredTable[]> {
    return this.readOnly(async (conn) => {
      const [rows] = await conn.query({
        sql: `SELECT c.TABLE_NAME, t.TABLE_TYPE, c.COLUMN_NAME, c.DATA_TYPE
              FROM information_schema.COLUMNS c
              JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
              WHERE c.TABLE_SCHEMA = DATABASE()
              ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
        rowsAsArray: true,
      });
      const tables = new Map<string, DiscoveredTable>();
      for (const [name, type, column, dataType] of rows as string[][]) {
        let t = tables.get(name!);
        if (!t) tables.set(name!, (t = { table: name!, kind: type === 'VIEW' ? 'view' : 'table', columns: [] }));
        t.columns.push(columnOf(column!, dataType!));
      }
      return [...tables.values()];
    });
  }

  async preview(relation: Relation, limit: number): Promise<PreviewResult> {
    const columns = await this.columns(relation);
    const rows = await this.readOnly(async (conn) => {
      const [r] = await conn.query({
        sql: `SELECT * FROM ${this.fromClause(relation)} LIMIT ${Math.trunc(limit)}`,
        rowsAsArray: true,
        typeCast,
      });
      return r as Row[];
    }, relation);
    return { columns, rows };
  }

  async count(relation: Relation, range?: { cursor: string; key: string; upperBound: string }): Promise<number> {
    let where = '';
    if (range) {
      const c = await this.column(relation, range.cursor);
      where = ` WHERE src.${quoteIdent(range.cursor)} IS NOT NULL AND src.${quoteIdent(range.key)} IS NOT NULL
        AND src.${quoteIdent(range.cursor)} <= ${literal(c, range.upperBound)}`;
    }
    return this.readOnly(async (conn) => {
      const [rows] = await conn.query({
        sql: `SELECT COUNT(*) FROM ${this.fromClause(relation)}${where}`,
        rowsAsArray: true,
      });
      return Number((rows as unknown[][])[0]![0]);
    }, relation);
  }

  async upperBound(relation: Relation, cursor: SourceColumn, lag: number, timeZone: string): Promise<string | null> {
    const c = `src.${quoteIdent(cursor.name)}`;
    return this.readOnly(async (conn) => {
      if (cursor.cursorKind === 'time') {
        // The source's clock, in UTC (the session's zone), so a skewed worker clock cannot move the bound.
        // TIMESTAMP is an instant; DATETIME and DATE have no zone, so they get the import's wall clock.
        const [rows] = await conn.query({ sql: 'SELECT CAST(UTC_TIMESTAMP(6) AS CHAR)', rowsAsArray: true });
        const clock = String((rows as unknown[][])[0]![0]);
        if (cursor.sourceType === 'timestamp') return `${clockBound(clock, lag, 'instant', timeZone).slice(0, -6)}Z`;
        return clockBound(clock, lag, cursor.sourceType === 'date' ? 'date' : 'wall', timeZone);
      }
      const [rows] = await conn.query({
        sql: `SELECT CAST(MAX(${c}) AS CHAR) FROM ${this.fromClause(relation)}`,
        rowsAsArray: true,
      });
      const max = (rows as unknown[][])[0]![0] as string | null;
      if (max === null) return null;
      return cursor.cursorKind === 'number' ? subtractLag(max, lag) : max;
    }, relation);
  }

  async countNullCursor(relation: Relation, cursor: string, key: string): Promise<number> {
    return this.readOnly(async (conn) => {
      const [rows] = await conn.query({
        sql: `SELECT COUNT(*) FROM ${this.fromClause(relation)} WHERE src.${quoteIdent(cursor)} IS NULL OR src.${quoteIdent(key)} IS NULL`,
        rowsAsArray: true,
      });
      return Number((rows as unknown[][])[0]![0]);
    }, relation);
  }

  async *read(relation: Relation, columns: string[], range: ReadRange): AsyncIterable<Row> {
    const cursorCol = await this.column(relation, range.cursor);
    const keyCol = await this.column(relation, range.key);
    const ks = keysetSql(
      `src.${quoteIdent(range.cursor)}`,
      `src.${quoteIdent(range.key)}`,
      range.after,
      range.upperBound,
      (which, v) => literal(which === 'cursor' ? cursorCol : keyCol, v),
    );

    const conn = await new Promise<PoolConnection>((resolve, reject) =>
      this.pool.getConnection((err, c) => (err ? reject(err) : resolve(c))),
    ).catch((e) => classifyMysql(e, this.target));
    const p = conn.promise();
    let finished = false;
    try {
      await this.prepare(p);
      const sql = `SELECT ${columns.map((col) => `src.${quoteIdent(col)}`).join(', ')}
        FROM ${this.fromClause(relation)} WHERE ${ks.where} ORDER BY ${ks.orderBy} LIMIT ${Math.trunc(range.limit)}`;
      // Rows arrive as the socket delivers them; the stream pauses the socket when the consumer is slow.
      const stream = conn.query({ sql, rowsAsArray: true, typeCast }).stream({ highWaterMark: 2000 });
      try {
        for await (const row of stream as AsyncIterable<Row>) yield row;
      } catch (err) {
        classifyMysql(err, this.target, relation, this.ep.policy.sourceStatementTimeoutSeconds);
      }
      await p.query('COMMIT');
      finished = true;
    } catch (err) {
      classifyMysql(err, this.target, relation, this.ep.policy.sourceStatementTimeoutSeconds);
    } finally {
      // A read abandoned mid-stream leaves rows in flight on the socket: drop the connection instead of reusing it.
      if (finished) conn.release();
      else conn.destroy();
    }
  }

  async close(): Promise<void> {
    // The pool is shared per connection URL and closed with the connector.
  }
}

/** mysql://user:password@host:port/database (also mariadb://). */
export function mysqlOptions(url: string): mysql.PoolOptions & { target: string } {
  const u = new URL(url.replace(/^mariadb:/i, 'mysql:'));
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database)
    throw new ConfigurationError(
      'mysql: the connection URL must name a database (mysql://user:password@host:port/database)',
    );
  return {
    target: `${u.hostname}:${u.port || 3306}`,
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database,
    connectionLimit: 4,
    // Custom SQL is checked as one statement: the driver must never let a second one through.
    multipleStatements: false,
    // A custom query can leave session state behind (user variables, GET_LOCK locks): each connection is
    // reset when it goes back to the pool, so the next query starts clean.
    resetOnRelease: true,
    connectTimeout: 10_000,
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    charset: 'utf8mb4',
    ssl: u.searchParams.get('ssl') === 'true' ? {} : undefined,
  };
}

/** Pools are kept per connection URL for the worker's lifetime. */
export function createMysqlConnector(
  policy: OperatorPolicy = operatorPolicyFromEnv(),
): SourceConnector & { closeAll(): Promise<void> } {
  const pools = new Map<string, Endpoint>();
  const reach = networkReach(policy);
  return explorable({
    kind: 'mysql',
    async open(config: ConnectionConfig) {
      // Apart per origin: the same URL stored through the API is checked, the operator's own is not.
      const poolKey = `${config.operatorDefined ? 'operator' : 'api'} ${config.url}`;
      let entry = pools.get(poolKey);
      if (!entry) {
        const { target, ...options } = mysqlOptions(config.url);
        // The host is an API key holder's: it connects only where the operator's policy allows.
        const pool = mysql.createPool(
          config.operatorDefined
            ? options
            : { ...options, stream: tcpStream(reach, options.host ?? 'localhost', options.port ?? 3306) },
        );
        // A dropped connection fails the read using it. mysql2 listens for a pooled connection's first
        // 'error' only; a second (a write after the socket died) would be thrown without this listener.
        const onError = logDropped('source');
        pool.on('error', onError);
        pool.on('connection', (conn) => {
          conn.on('error', onError);
        });
        entry = { pool, target, policy };
        pools.set(poolKey, entry);
      }
      return new MysqlSession(entry);
    },
    async closeAll() {
      await Promise.all([...pools.values()].map((e) => e.pool.promise().end()));
      pools.clear();
    },
  });
}
