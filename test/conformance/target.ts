/**
 * What the shared conformance suite needs from each source: a session, a way to create and fill tables
 * from neutral column kinds and values, and connection URLs that fail in each of the ways users hit.
 */
import type { SourceExplorer, SourceSession } from '../../connectors/source';

/** Neutral column kinds; each target picks its own type for them. */
export type Kind = 'id' | 'int' | 'text' | 'ts' | 'decimal' | 'array';

/**
 * Neutral values: id/int/decimal as decimal text, ts as ISO 8601 UTC with microseconds, array as a JSON
 * array of strings, null as null.
 */
export type Value = string | null;

export interface TargetSetup {
  name: string;
  /** Label for targets that are not the real product (a local server speaking its protocol). */
  fake?: boolean;
  start(): Promise<Target>;
}

export interface Target {
  open(): Promise<SourceSession & SourceExplorer>;
  /** Create `table` with the columns and insert the rows. */
  load(table: string, columns: { name: string; kind: Kind }[], rows: Value[][]): Promise<void>;
  /** Create a table holding one column of a type the import cannot take (binary, aggregate state...). */
  loadUnsupported(table: string): Promise<void>;
  /** Fractional second digits a timestamp keeps in this source (6, or 0 for ClickHouse 18's DateTime). */
  timestampDigits: number;
  /** Rows of `table` (to show a rejected query wrote nothing). */
  rowCount(table: string): Promise<number>;
  /** A SELECT that writes through a function, rejected by the source's read-only mode; null if the source has none. */
  hiddenWrite?(table: string): Promise<string | null>;
  /** Sessions on URLs that fail: wrong password, a user without access, a closed port. */
  openWith(failure: 'bad-credentials' | 'no-permission' | 'unreachable'): Promise<SourceSession & SourceExplorer>;
  stop(): Promise<void>;
}
