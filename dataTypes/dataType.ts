/**
 * What a data type is, beside its spec (dataTypes/<type>/spec.ts): the layout of its stage rows, how a
 * source row becomes them, how they are merged into the store, what a purge removes, and which shared steps
 * of a batch it takes. Every part of the import that depends on the data type takes it from the registry
 * (dataTypes/index.ts), which checks each definition when it is built.
 */
import type { DataType, ImportSpec, ImportSpecInput } from '../domain/importSpec';
import { parseImportSpec } from '../domain/importSpec';
import type { Loader } from '../store/loaders/types';
import type { PurgeStep } from '../store/purge';
import { type MappingKit, type MapRow, mappingKit } from '../engine/mapValidate';

/**
 * One field of a stage line: a column and its SQL type. The type `user` is an identifier, two columns
 * (`<name>_type text, <name>_value text`) filled by one field, the mapping kit's user (`id_type<TAB>id_value`).
 */
export type StageColumn = readonly [name: string, sqlType: string];
export type StageColumns = readonly StageColumn[];

/** The fields of one stage line, one COPY field (escaped) per stage column: as many as it declares. */
export type StageFields<C extends StageColumns> = { -readonly [K in keyof C]: string };

/** A stage line, in COPY text format: the row's seq, then one field per stage column. */
export type StageLine<C extends StageColumns> = (seq: number, ...fields: StageFields<C>) => string;

// One function per field count, each a single template: no array per row, as a rest parameter would make.
const LINES: ((seq: number, ...f: string[]) => string)[] = [
  (s) => `${s}\n`,
  (s, a) => `${s}\t${a}\n`,
  (s, a, b) => `${s}\t${a}\t${b}\n`,
  (s, a, b, c) => `${s}\t${a}\t${b}\t${c}\n`,
  (s, a, b, c, d) => `${s}\t${a}\t${b}\t${c}\t${d}\n`,
  (s, a, b, c, d, e) => `${s}\t${a}\t${b}\t${c}\t${d}\t${e}\n`,
  (s, a, b, c, d, e, f) => `${s}\t${a}\t${b}\t${c}\t${d}\t${e}\t${f}\n`,
  (s, a, b, c, d, e, f, g) => `${s}\t${a}\t${b}\t${c}\t${d}\t${e}\t${f}\t${g}\n`,
];

/** The line builder of a stage layout: a call with the wrong number of fields does not compile. */
export function stageLine<C extends StageColumns>(columns: C): StageLine<C> {
  const line = LINES[columns.length];
  if (!line) throw new Error(`a stage of ${columns.length} fields: at most ${LINES.length - 1}`);
  return line;
}

/** The SQL columns of a stage layout, after `seq integer` (CREATE TEMP TABLE stage). */
export function stageTableColumns(columns: StageColumns): string {
  return columns
    .map(([name, type]) => (type === 'user' ? `${name}_type text, ${name}_value text` : `${name} ${type}`))
    .join(', ');
}

/** How many SQL columns a stage line fills, seq included. */
export const stageWidth = (columns: StageColumns): number => 1 + fieldWidth(columns);

/** How many SQL columns a layout's fields fill (a `user` field fills two). */
const fieldWidth = (columns: StageColumns): number => columns.reduce((n, [, type]) => n + (type === 'user' ? 2 : 1), 0);

/** The SQL column names of a layout, in line order (a `user` field's two: `<name>_type, <name>_value`). */
export function columnNames(columns: StageColumns): string {
  return columns.map(([name, type]) => (type === 'user' ? `${name}_type, ${name}_value` : name)).join(', ');
}

/**
 * The row line of a loader that COPYs rows straight into their table (Loader.copyRowsInto): one field per
 * column of the row's layout, which the batch writes after the import id and run id (engine/loadBatch.ts).
 */
export type RowLine<C extends StageColumns> = (...fields: StageFields<C>) => string;

/**
 * The row line builder of a layout: a call with the wrong number of fields does not compile. A stage
 * line's builder of one field fewer writes the same template, its first field standing where seq stands.
 */
export function rowLine<C extends StageColumns>(columns: C): RowLine<C> {
  const line = LINES[columns.length - 1];
  if (!line) throw new Error(`a row of ${columns.length} fields: between 1 and ${LINES.length}`);
  return line as unknown as RowLine<C>;
}

/** The import id and run id, which the batch writes in front of each row line (engine/loadBatch.ts). */
const ROW_PREFIX = 'import_id, run_id';

/** Loader.copyRowsInto of a row layout: the table and its columns, import id and run id first. */
export const copyRowsInto = (table: string, columns: StageColumns): string =>
  `${table} (${ROW_PREFIX}, ${columnNames(columns)})`;

export interface DataTypeDefinition<T extends DataType = DataType> {
  dataType: T;
  /** The stage table's columns, in line order (after seq). */
  stage: StageColumns;
  /**
   * Loaders that COPY rows straight into their table (Loader.copyRowsInto, built with copyRowsInto from
   * this list): the layout of the row line (MapResult.row), written with rowLine(row).
   */
  row?: StageColumns;
  /** The row mapping, compiled once per batch from the shared steps. */
  compile(spec: Extract<ImportSpec, { dataType: T }>, kit: MappingKit): MapRow;
  /** The merge of a chunk's stage into the store. */
  loader: Loader;
  /**
   * Rows carry a dedup key (MapResult.dedup): duplicates within a chunk are dropped before staging
   * (engine/dedup.ts) and counted as duplicates.
   */
  dedupInChunk?: true;
  /**
   * The mapping stages a user only on its first row (MappingHooks.firstUse); the worker remembers the users
   * a committed batch staged (engine/knownUsers.ts), so later batches stage them not at all.
   */
  stagesUsersOnce?: true;
  /** The purge of a deleted import's rows of this type, in order. */
  purge: PurgeStep[];
  /**
   * A condition that holds while this type's rows still refer to the identifier `i` (an identities row):
   * a purge keeps such an identifier.
   */
  refersToIdentity: string;
  /**
   * The smallest spec of this type and one valid source row (value by column): the registry maps it and
   * checks that each stage line has the stage's width.
   */
  example: { spec: ImportSpecInput & { dataType: T }; row: Record<string, string> };
}

/** Any one data type's definition. */
export type AnyDataTypeDefinition = { [T in DataType]: DataTypeDefinition<T> }[DataType];

/** The problem with a definition's stage layout, or null: maps its example and counts each line's fields. */
export function stageLayoutProblem(def: AnyDataTypeDefinition): string | null {
  const spec = parseImportSpec(def.example.spec);
  if (spec.dataType !== def.dataType) return `its example is a ${spec.dataType} import`;
  const kit = mappingKit(spec);
  const map = def.compile(spec as never, kit);
  const row = kit.columns.map((c) => def.example.row[c] ?? null);
  const r = map(row, 1);
  if (!r.ok) return `its example row is rejected: ${r.column}: ${r.reason}`;
  const width = stageWidth(def.stage);
  const lines = r.text.split('\n').slice(0, -1);
  if (lines.length === 0) return 'its example row stages no line';
  for (const line of lines) {
    const fields = line.split('\t').length;
    if (fields !== width)
      return `its mapping stages ${fields} fields (seq included), its stage declares ${width}: ${stageTableColumns(def.stage)}`;
  }
  return rowLayoutProblem(def, r.row);
}

/** The problem with a definition's row layout (`row`), given the row line its example maps to, or null. */
function rowLayoutProblem(def: AnyDataTypeDefinition, row: string | undefined): string | null {
  const into = def.loader.copyRowsInto;
  if (!def.row) {
    if (into) return `its loader COPYs rows into ${into}, but it declares no row layout (row)`;
    return row === undefined ? null : 'its mapping writes a row line, but it declares no row layout (row)';
  }
  if (!into) return 'it declares a row layout (row), but its loader COPYs no rows (copyRowsInto)';
  const expected = copyRowsInto(into.slice(0, into.indexOf(' (')), def.row);
  if (into !== expected) return `its loader COPYs rows into ${into}, its row layout declares ${expected}`;
  if (row === undefined || !row.endsWith('\n') || row.indexOf('\n') !== row.length - 1)
    return 'its example row writes no row line (one line, ending with a newline)';
  const fields = row.split('\t').length;
  const width = fieldWidth(def.row);
  if (fields !== width)
    return `its mapping writes row lines of ${fields} fields, its row layout declares ${width}: ${columnNames(def.row)}`;
  return null;
}

/**
 * The registry, checked: the same data types as the spec registry (in its order), each stage layout as wide
 * as the lines its mapping writes. Throws naming the data type otherwise.
 */
export function checkedRegistry(
  defs: readonly AnyDataTypeDefinition[],
  specNames: readonly string[],
): Record<DataType, AnyDataTypeDefinition> {
  const names = defs.map((d) => d.dataType);
  if (names.join() !== specNames.join()) {
    throw new Error(
      `data types registered (${names.join(', ')}) differ from the specs registered (${specNames.join(', ')})`,
    );
  }
  for (const def of defs) {
    const problem = stageLayoutProblem(def);
    if (problem) throw new Error(`data type ${def.dataType}: ${problem}`);
  }
  return Object.fromEntries(defs.map((d) => [d.dataType, d])) as Record<DataType, AnyDataTypeDefinition>;
}
