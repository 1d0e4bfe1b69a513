/**
 * The one interface every source connector implements. Rows cross it as arrays of text values
 * (or null) in the order of the requested columns: each connector renders its native types as text
 * that keeps their full precision (microseconds, decimals beyond 2^53), and the mapping layer types them.
 */
import type { FileSource, ValueType } from '../domain/importSpec';

/** What a run reads: a table, a read-only custom SELECT, or one file (file connectors only). */
export type Relation = { table: string } | { query: string } | { file: FileSource };

export interface SourceColumn {
  name: string;
  /** The source's own type name, e.g. `timestamp with time zone`. */
  sourceType: string;
  /** The import type this column maps to naturally, or null if the import cannot take it. */
  importType: ValueType | null;
  /** Whether this column can order a cursor: 'time' (lag in seconds), 'number' (lag in units) or 'other'. */
  cursorKind: 'time' | 'number' | 'other';
}

/** The position of the last row loaded: the cursor value and the tie-breaker key, as text. */
export interface Position {
  cursor: string;
  key: string;
}

export interface ReadRange {
  cursor: string;
  key: string;
  /** Exclusive lower bound; null reads from the start. */
  after: Position | null;
  /** Inclusive upper bound on the cursor, fixed once per run. */
  upperBound: string;
  limit: number;
}

/** How the mapping will type the columns read, for sources whose own text of a type depends on it. */
export interface ReadOptions {
  /**
   * Columns mapped as json (jsonColumns of the spec). Most sources already print their arrays and records
   * as JSON; Postgres prints arrays as {a,b}, which is not JSON, so it renders these columns with to_json.
   */
  json?: readonly string[];
}

export interface SourceSession {
  /** The relation's columns with their types (the mapping is checked against these). */
  columns(relation: Relation): Promise<SourceColumn[]>;
  /**
   * The run's upper bound: the source's clock minus `lag` seconds for time cursors, the maximum minus
   * `lag` for number cursors, the maximum for others. Null when there is nothing to read. A cursor type
   * without a zone gets the wall clock of the import's `timeZone` (its values are written in that zone's
   * local time), a date cursor the date there; see clockBound.
   */
  upperBound(relation: Relation, cursor: SourceColumn, lag: number, timeZone: string): Promise<string | null>;
  /**
   * What the run should tell its operator about the relation, though nothing is wrong enough to stop it
   * (a repeated CSV header, renamed; a role that could also write to the tables it reads): recorded on
   * the run. Sources with nothing to say leave it out.
   */
  warnings?(relation: Relation): Promise<string[]>;
  /** Rows whose cursor or key is NULL: they can never be read by position, so they are reported. */
  countNullCursor(relation: Relation, cursor: string, key: string): Promise<number>;
  /** Stream rows in (cursor, key) order within the range, never holding the whole range in memory. */
  read(
    relation: Relation,
    columns: string[],
    range: ReadRange,
    options?: ReadOptions,
  ): AsyncIterable<(string | null)[]>;
  close(): Promise<void>;
}

/** Why a source could not read a row (a malformed CSV record): it is recorded as a row error, never mapped. */
export interface SourceRowError {
  column: string | null;
  value: string | null;
  reason: string;
}

/** The error a source attached to a row it yields (file sources set `sourceError` on the row's array). */
export const sourceRowError = (row: (string | null)[]): SourceRowError | undefined =>
  (row as { sourceError?: SourceRowError }).sourceError;

export interface SourceConnector {
  kind: string;
  open(config: ConnectionConfig): Promise<SourceSession>;
  /**
   * The connector's discovery capability: what the API's connection screen asks of it (test, catalogue,
   * preview), or null for a kind that has none (the file kinds: a file has no catalogue to list). Every
   * connector says which, so the API's registry needs no case per kind. Most build it with
   * explorerDiscovery, over sessions that implement SourceExplorer.
   */
  discovery: DiscoveryConnector | null;
}

/**
 * Discovery as the API asks it of a connection: connect and run a trivial query, list the catalogue, preview
 * the first rows. Each call opens what it needs and closes it; `config` is the resolved connection.
 */
export interface DiscoveryConnector {
  kind: string;
  /**
   * Connect and run a trivial query; resolves to a short description of the server, and what the operator
   * should know about the connection (e.g. its role can write to tables it can read).
   */
  test(config: ConnectionConfig): Promise<{ server: string; warnings?: string[] }>;
  /** The catalogue, each table with its schema and name apart and every column's nullability (catalogueEntry). */
  discover(config: ConnectionConfig): Promise<CatalogueTable[]>;
  /** The first `limit` rows, every value as the source's own text, read-only. */
  preview(config: ConnectionConfig, relation: Relation, limit: number): Promise<Preview>;
}

/** A resolved connection, held only inside the worker: it may carry credentials. */
export interface ConnectionConfig {
  kind: string;
  url: string;
  /**
   * Set on connections the operator defined (the environment's, a script's own): their database host is
   * the operator's choice, so the address policy, which bounds hosts an API key names, does not apply to it.
   * Never set on a stored connection.
   */
  operatorDefined?: boolean;
}

/** Resolves a connection name to its configuration inside the worker (environment or stored). */
export type ConnectionResolver = (name: string) => Promise<ConnectionConfig>;

/** A problem with the import's configuration (missing table or column, bad mapping): never retried. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/**
 * What a connection screen needs besides reading: a connectivity check, discovery and preview. A separate
 * interface so a session that only reads (and every existing caller) is unaffected; connectors that
 * implement it are recognised with `isExplorable`.
 */
export interface SourceExplorer {
  /**
   * Connects and runs a trivial query: resolves with the server's version, and warnings for the operator
   * (the connection's user can write), or throws a classified error.
   */
  test(): Promise<{ serverVersion: string; warnings?: string[] }>;
  /** Tables (and views) with their columns; a column the import cannot take has importType null here. */
  discover(): Promise<DiscoveredTable[]>;
  /** The first `limit` rows of a table or custom SELECT, read-only, with the bytes it would scan where the source bills by them. */
  preview(relation: Relation, limit: number): Promise<PreviewResult>;
  /** Rows in the relation (all of them, or those a run would read under an upper bound). */
  count(relation: Relation, range?: { cursor: string; key: string; upperBound: string }): Promise<number>;
  /** Bytes a full read would scan, for sources that bill by scanned bytes (BigQuery); shown by a dry run. */
  estimateScan?(relation: Relation): Promise<string>;
}

/** A column as discovery lists it: its type, and whether it may be NULL where the source says so. */
export interface DiscoveredColumn extends SourceColumn {
  /** From the source's catalogue (Postgres's NOT NULL); left out by sources that do not say, read as true. */
  nullable?: boolean;
}

/**
 * A table (or view) discovery found: the one shape every connector's `discover` returns. `table` is what a
 * spec names; `schema` and `name` are its parts, set by sources whose qualified names cannot be split on the
 * last dot (Postgres leaves `public` out of `table`, yet its schema is `public`).
 */
export interface DiscoveredTable {
  /** The name to put in an import's `source.table` (qualified as the source needs it). */
  table: string;
  /** The table's schema (dataset, database); when left out, what precedes the last dot of `table`. */
  schema?: string;
  /** The table's own name; when left out, what follows the last dot of `table`. */
  name?: string;
  kind: 'table' | 'view';
  columns: DiscoveredColumn[];
}

/**
 * A DiscoveredTable as the API lists and stores it: schema and name apart (no `table`), every column's
 * nullability said. Made from a DiscoveredTable by catalogueEntry, never built apart.
 */
export type CatalogueTable = Required<Pick<DiscoveredTable, 'schema' | 'name' | 'kind'>> & {
  columns: Required<DiscoveredColumn>[];
};

/** The API's view of a DiscoveredTable: its parts where the source gave them, else split on the last dot of `table`. */
export function catalogueEntry(t: DiscoveredTable): CatalogueTable {
  const dot = t.table.lastIndexOf('.');
  return {
    schema: t.schema ?? (dot < 0 ? '' : t.table.slice(0, dot)),
    name: t.name ?? (dot < 0 ? t.table : t.table.slice(dot + 1)),
    kind: t.kind,
    columns: t.columns.map((c) => ({ ...c, nullable: c.nullable ?? true })),
  };
}

/** A preview as the API answers it (PreviewResult without the bytes a warehouse would scan). */
export type Preview = Omit<PreviewResult, 'bytesScanned'>;

export interface PreviewResult {
  columns: SourceColumn[];
  rows: (string | null)[][];
  /** Bytes the query would scan (warehouses that bill by scanned bytes, e.g. BigQuery), as decimal text. */
  bytesScanned?: string;
}

export function isExplorable(session: SourceSession): session is SourceSession & SourceExplorer {
  const s = session as Partial<SourceExplorer>;
  return typeof s.test === 'function' && typeof s.discover === 'function' && typeof s.preview === 'function';
}
