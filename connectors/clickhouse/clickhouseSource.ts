/**
 * ClickHouse source (@clickhouse/client over HTTP): keyset reads streamed as JSONEachRow, with each column
 * rendered as exact text by the server (see clickhouseTypes.ts) and read back exactly (clickhouseValues.ts).
 * Writes are refused by running every query with `readonly=1`, unless the connection's user is already
 * read-only (which forbids setting anything). readonly=1, not 2: it also refuses table functions (url, file,
 * remote, …) that would let a custom query reach other hosts or the server's files, and settings a query
 * could use to lift its limits. Each query is bounded by the operator's statement time limit.
 * ClickHouse has no transactions: a run's upper bound, not a snapshot, keeps batches consistent.
 */
import { explorable } from '../explorerDiscovery';
import { type ClickHouseClient, ClickHouseLogLevel, type ClickHouseSettings, createClient } from '@clickhouse/client';
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
import { type LosslessValue, parseLossless } from '../common/losslessJson';
import { classifyClickHouse } from './clickhouseErrors';
import { columnOf, quoteIdent, quoteTable, toText, typedLiteral } from './clickhouseTypes';
import { columnReader } from './clickhouseValues';
import { fromClause as sharedFromClause } from '../common/fromClause';
import { networkReach } from '../common/networkReach';
import { operatorPolicyFromEnv, type OperatorPolicy } from '../common/operatorPolicy';
import { reachingAgent } from '../common/reachingSockets';
import { checkClickHouseQuery } from './clickhouseSqlGuard';
import { canWriteWarning, writesWhatItReadsWarning } from '../common/writeWarnings';

type Row = (string | null)[];

const fromClause = (relation: Relation): string =>
  sharedFromClause('clickhouse', relation, quoteTable, 'src', checkClickHouseQuery);

/** Output aliases that cannot shadow a source column in WHERE (ClickHouse lets aliases do that). */
const alias = (i: number) => `__tributary_${i}`;

interface Endpoint {
  client: ClickHouseClient;
  target: string;
  /** The connection's user, as named in its URL. */
  user: string;
  /** The operator's time limit for one statement, in seconds. */
  timeLimit: number;
  /** Per-query settings: readonly=1 unless the user is read-only already; resolved on first use. */
  settings?: Promise<ClickHouseSettings>;
}

/**
 * The settings that make the server refuse writes, given the user's own `readonly` value. The time limit comes
 * first: once readonly=1 is applied, the server refuses any further setting in the same request. A user whose
 * profile is read-only already may change no setting at all, so nothing is sent for it.
 */
export function readOnlySettings(userReadonly: string, timeLimitSeconds: number): ClickHouseSettings {
  if (userReadonly === '0') return { max_execution_time: timeLimitSeconds, readonly: '1' };
  if (userReadonly === '2') return { max_execution_time: timeLimitSeconds };
  return {};
}

class ClickHouseSession implements SourceSession, SourceExplorer {
  private readonly columnCache = new Map<string, Promise<SourceColumn[]>>();

  constructor(private readonly ep: Endpoint) {}

  private settings(): Promise<ClickHouseSettings> {
    if (!this.ep.settings) {
      this.ep.settings = this.ep.client
        .query({ query: "SELECT value FROM system.settings WHERE name = 'readonly'", format: 'TabSeparated' })
        .then((r) => r.text())
        .then((v) => readOnlySettings(v.trim(), this.ep.timeLimit));
      this.ep.settings.catch(() => {
        this.ep.settings = undefined;
      });
    }
    return this.ep.settings.catch((e) => classifyClickHouse(e, this.ep.target));
  }

  /** Run a query and return its rows (small results only: metadata, counts, previews), numbers kept exact. */
  private async rows(query: string, relation?: Relation): Promise<Record<string, LosslessValue>[]> {
    const settings = await this.settings();
    try {
      const rs = await this.ep.client.query({ query, format: 'JSONEachRow', clickhouse_settings: settings });
      const text = await rs.text();
      return text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => parseLossless(l) as Record<string, LosslessValue>);
    } catch (err) {
      return classifyClickHouse(err, this.ep.target, relation, this.ep.timeLimit);
    }
  }

  async test(): Promise<{ serverVersion: string; warnings: string[] }> {
    const [row] = await this.rows('SELECT version() AS v');
    return { serverVersion: toText(row?.v) ?? '', warnings: await this.writeWarnings(null) };
  }

  /**
   * Whether the user may write, by its own `readonly` setting (0: it may; 1 and 2: it may not). Servers with
   * SQL-driven access control (system.grants, 20.x on) decide by grants instead, which are not read here:
   * they get no warning rather than a wrong one.
   */
  private async userCanWrite(): Promise<boolean> {
    try {
      const rs = await this.ep.client.query({
        query: `SELECT (SELECT value FROM system.settings WHERE name = 'readonly') AS readonly,
                       (SELECT count() FROM system.tables WHERE database = 'system' AND name = 'grants') AS rbac`,
        format: 'JSONEachRow',
      });
      const [row] = await rs.json<{ readonly: string; rbac: string | number }>();
      return row?.readonly === '0' && Number(row.rbac) === 0;
    } catch (err) {
      return classifyClickHouse(err, this.ep.target);
    }
  }

  /** The warning for a user that can write: on the connection test (relation null) and on each run. */
  private async writeWarnings(relation: Relation | null): Promise<string[]> {
    if (!(await this.userCanWrite())) return [];
    const user = `"${this.ep.user}" (its profile has readonly=0)`;
    if (relation === null) return canWriteWarning('clickhouse', user, [`every table it can read`]);
    if ('table' in relation) return writesWhatItReadsWarning('clickhouse', user, [relation.table]);
    if ('query' in relation) {
      return writesWhatItReadsWarning(
        'clickhouse',
        user,
        [`every table it can read`],
        'which includes what the custom query reads',
      );
    }
    return [];
  }

  /** Advice on the run; each query still runs with readonly=1, so the import itself cannot write. */
  warnings(relation: Relation): Promise<string[]> {
    return this.writeWarnings(relation);
  }

  columns(relation: Relation): Promise<SourceColumn[]> {
    const key = JSON.stringify(relation);
    let cached = this.columnCache.get(key);
    if (!cached) {
      cached = (async () => {
        const settings = await this.settings();
        try {
          // Names and types of any relation, table or query, without reading a row.
          const rs = await this.ep.client.query({
            query: `SELECT * FROM ${fromClause(relation)} LIMIT 0`,
            format: 'TabSeparatedWithNamesAndTypes',
            clickhouse_settings: settings,
          });
          const [names = '', types = ''] = (await rs.text()).split('\n');
          const n = names.split('\t');
          const t = types.split('\t');
          return n.map((name, i) => columnOf(name, t[i] ?? ''));
        } catch (err) {
          return classifyClickHouse(err, this.ep.target, relation, this.ep.timeLimit);
        }
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
        `clickhouse: column "${name}" does not exist in ${'table' in relation ? `table ${relation.table}` : 'the custom query'}`,
      );
    return found;
  }

  /** The select list of `columns`, and the reading of each one's text from a row (clickhouseValues.ts). */
  private async selectList(
    relation: Relation,
    columns: string[],
  ): Promise<{ select: string; texts: (row: Record<string, LosslessValue>) => Row }> {
    const cols = await Promise.all(columns.map((c) => this.column(relation, c)));
    const readers = cols.map((c, i) => columnReader(c, quoteIdent(c.name), alias(i)));
    return { select: readers.map((r) => r.select).join(', '), texts: (row) => readers.map((r) => r.text(row)) };
  }

  async discover(): Promise<DiscoveredTable[]> {
    const tables = await this.rows('SELECT name, engine FROM system.tables WHERE database = currentDatabase()');
    const columns = await this.rows('SELECT table, name, type FROM system.columns WHERE database = currentDatabase()');
    const out = new Map<string, DiscoveredTable>();
    for (const t of tables) {
      const name = toText(t.name) ?? '';
      out.set(name, { table: name, kind: /View$/.test(toText(t.engine) ?? '') ? 'view' : 'table', columns: [] });
    }
    for (const c of columns)
      out.get(toText(c.table) ?? '')?.columns.push(columnOf(toText(c.name) ?? '', toText(c.type) ?? ''));
    return [...out.values()].sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
  }

  async preview(relation: Relation, limit: number): Promise<PreviewResult> {
    const columns = await this.columns(relation);
    const { select, texts } = await this.selectList(
      relation,
      columns.map((c) => c.name),
    );
    const rows = await this.rows(`SELECT ${select} FROM ${fromClause(relation)} LIMIT ${Math.trunc(limit)}`, relation);
    return { columns, rows: rows.map(texts) };
  }

  async count(relation: Relation, range?: { cursor: string; key: string; upperBound: string }): Promise<number> {
    let where = '';
    if (range) {
      const c = await this.column(relation, range.cursor);
      where = ` WHERE isNotNull(${quoteIdent(range.cursor)}) AND isNotNull(${quoteIdent(range.key)})
        AND ${quoteIdent(range.cursor)} <= ${typedLiteral(c, range.upperBound)}`;
    }
    const [row] = await this.rows(`SELECT toString(count()) AS n FROM ${fromClause(relation)}${where}`, relation);
    return Number(toText(row?.n) ?? 0);
  }

  async upperBound(relation: Relation, cursor: SourceColumn, lag: number, timeZone: string): Promise<string | null> {
    const c = quoteIdent(cursor.name);
    if (cursor.cursorKind === 'time') {
      // The server's clock, so a skewed worker clock cannot move the bound. DateTime has whole seconds.
      // DateTime and DateTime64 are instants (a zone in the type only changes how they print), so their
      // bound is an instant whatever the import's zone; Date has no zone: the date in the import's zone.
      if (cursor.importType === 'date') {
        const [now] = await this.rows(`SELECT concat(toString(now(), 'UTC'), 'Z') AS b`);
        return clockBound(toText(now?.b) ?? '', lag, 'date', timeZone);
      }
      const p64 = /DateTime64\((\d+)/.exec(cursor.sourceType);
      const expr = p64
        ? `concat(toString(now64(${p64[1]}) - toIntervalMicrosecond(${Math.round(lag * 1e6)}), 'UTC'), 'Z')`
        : `concat(toString(now() - ${Math.ceil(lag)}, 'UTC'), 'Z')`;
      const [row] = await this.rows(`SELECT ${expr} AS b`);
      return toText(row?.b);
    }
    // max() of no rows is the type's default (0, ''), not NULL: count the rows too.
    const [row] = await this.rows(
      `SELECT max(${c}) AS m, count() AS n FROM ${fromClause(relation)} WHERE isNotNull(${c})`,
      relation,
    );
    if (!row || Number(toText(row.n)) === 0) return null;
    const max = toText(row.m) ?? '';
    return cursor.cursorKind === 'number' ? subtractLag(max, lag) : max;
  }

  async countNullCursor(relation: Relation, cursor: string, key: string): Promise<number> {
    const [row] = await this.rows(
      `SELECT toString(count()) AS n FROM ${fromClause(relation)} WHERE isNull(${quoteIdent(cursor)}) OR isNull(${quoteIdent(key)})`,
      relation,
    );
    return Number(toText(row?.n) ?? 0);
  }

  async *read(relation: Relation, columns: string[], range: ReadRange): AsyncIterable<Row> {
    const cursorCol = await this.column(relation, range.cursor);
    const keyCol = await this.column(relation, range.key);
    const ks = keysetSql(quoteIdent(range.cursor), quoteIdent(range.key), range.after, range.upperBound, (which, v) =>
      typedLiteral(which === 'cursor' ? cursorCol : keyCol, v),
    );
    const { select, texts } = await this.selectList(relation, columns);
    const query = `SELECT ${select} FROM ${fromClause(relation)} WHERE ${ks.where}
      ORDER BY ${ks.orderBy} LIMIT ${Math.trunc(range.limit)}`;
    const settings = await this.settings();
    const abort = new AbortController();
    let completed = false;
    try {
      const rs = await this.ep.client.query({
        query,
        format: 'JSONEachRow',
        clickhouse_settings: settings,
        abort_signal: abort.signal,
      });
      // The client yields the rows of each received chunk; nothing beyond a chunk is held.
      for await (const chunk of rs.stream()) {
        for (const r of chunk) yield texts(parseLossless(r.text) as Record<string, LosslessValue>);
      }
      completed = true;
    } catch (err) {
      classifyClickHouse(err, this.ep.target, relation, this.ep.timeLimit);
    } finally {
      // A consumer that stops early leaves the response open: abort it so the socket is freed.
      if (!completed) abort.abort();
    }
  }

  async close(): Promise<void> {
    // The client is shared per connection URL and closed with the connector.
  }
}

/** clickhouse://user:password@host:8123/database (HTTP; `?secure=true` or clickhouses:// for HTTPS). */
export function clickhouseOptions(url: string): {
  url: string;
  username: string;
  password: string;
  database: string;
  target: string;
} {
  const u = new URL(url);
  const secure = /^clickhouses:$/i.test(u.protocol) || u.searchParams.get('secure') === 'true';
  const port = u.port || (secure ? '8443' : '8123');
  return {
    url: `${secure ? 'https' : 'http'}://${u.hostname}:${port}`,
    username: decodeURIComponent(u.username) || 'default',
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'default',
    target: `${u.hostname}:${port}`,
  };
}

/** Clients are kept per connection URL for the worker's lifetime. */
export function createClickHouseConnector(
  policy: OperatorPolicy = operatorPolicyFromEnv(),
): SourceConnector & { closeAll(): Promise<void> } {
  const endpoints = new Map<string, Endpoint>();
  const reach = networkReach(policy);
  return explorable({
    kind: 'clickhouse',
    async open(config: ConnectionConfig) {
      // Apart per origin: the same URL stored through the API is checked, the operator's own is not.
      const key = `${config.operatorDefined ? 'operator' : 'api'} ${config.url}`;
      let ep = endpoints.get(key);
      if (!ep) {
        const { target, ...options } = clickhouseOptions(config.url);
        // The host is an API key holder's: an IP literal is judged now, a name at each new connection.
        const host = new URL(options.url).hostname;
        if (!config.operatorDefined) reach.checkHost(host);
        const client = createClient({
          ...options,
          ...(config.operatorDefined ? {} : { http_agent: reachingAgent(reach, options.url.startsWith('https:'), 4) }),
          max_open_connections: 4,
          request_timeout: 300_000,
          // Errors are classified and thrown to the activity; the client's own logging would only duplicate them.
          log: { level: ClickHouseLogLevel.OFF },
        });
        ep = { client, target, user: options.username, timeLimit: policy.sourceStatementTimeoutSeconds };
        endpoints.set(key, ep);
      }
      return new ClickHouseSession(ep);
    },
    async closeAll() {
      await Promise.all([...endpoints.values()].map((e) => e.client.close()));
      endpoints.clear();
    },
  });
}
