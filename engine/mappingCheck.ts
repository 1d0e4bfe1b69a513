/**
 * The mapping check: a spec's mapped columns against the source's real columns and types. One function for
 * the API (before an import is saved, every problem at once) and for the run (beginRun, the dry run and a
 * backfill's plan, before any row is read), so both judge a spec the same way. The columns each data type
 * maps, with their declared types, come from its spec (dataTypes/<type>/spec.ts, through mappedColumns).
 */
import { type ImportSpec, lagProblem, mappedColumns, type ValueType } from '../domain/importSpec';
import type { SourceColumn } from '../connectors/source';

/** Which source types a declared mapping type can be read from (text can hold anything). */
const ACCEPTS: Record<ValueType, (ValueType | null)[]> = {
  string: ['string', 'number', 'boolean', 'timestamp', 'date', 'json'],
  number: ['number', 'string'],
  boolean: ['boolean', 'string', 'number'],
  timestamp: ['timestamp', 'date', 'string', 'number'],
  date: ['date', 'timestamp', 'string'],
  json: ['json', 'string', 'number', 'boolean', 'timestamp', 'date'],
};

export interface MappingProblem {
  /** The spec field at fault: `mapping.attributes.0.column`, `mapping.attributes.0.type`, `cursor.lag`... */
  field: string;
  /** A problem of a mapped column: the column, and the mapping's field naming it (`mapping.attributes.0`). */
  column?: { name: string; mappedAs: string };
  /** What is wrong; of a column, what follows its name (`does not exist in table people; ...`). */
  problem: string;
}

/** The problem as the API states it, under its field. */
export const problemText = (p: MappingProblem): string =>
  p.column ? `column "${p.column.name}" ${p.problem}` : p.problem;

/** The problem as a run states it, on its own. */
export const runProblemText = (p: MappingProblem): string =>
  p.column ? `mapped column "${p.column.name}" (${p.column.mappedAs}) ${p.problem}` : `${p.field}: ${p.problem}`;

/** The relation a spec reads, as its problems name it. */
export const relationText = (spec: ImportSpec): string =>
  spec.source.table !== undefined
    ? `table ${spec.source.table}`
    : spec.source.file
      ? `file ${spec.source.file.path}`
      : 'the custom query';

/** The spec field of a column reference, ending in `.column` (or cursor.column / cursor.key). */
const columnField = (field: string): string => (field.startsWith('cursor.') ? field : `${field}.column`);

/** Every problem of the spec's mapping against the source's columns, in the spec's order; none: it reads. */
export function mappingProblems(spec: ImportSpec, columns: SourceColumn[]): MappingProblem[] {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const problems: MappingProblem[] = [];
  const seen = new Set<string>();
  const mapped = mappedColumns(spec);
  for (const { column, field } of mapped) {
    const f = columnField(field);
    if (seen.has(f)) continue;
    seen.add(f);
    const c = byName.get(column);
    if (!c) {
      const near = columns.find((x) => x.name.toLowerCase() === column.toLowerCase());
      problems.push({
        field: f,
        column: { name: column, mappedAs: field },
        problem:
          `does not exist in ${relationText(spec)}` +
          (near ? `; did you mean "${near.name}"?` : `; its columns are: ${columns.map((x) => x.name).join(', ')}`),
      });
    } else if (c.importType === null) {
      problems.push({
        field: f,
        column: { name: column, mappedAs: field },
        problem: `has type ${c.sourceType}, which an import cannot read`,
      });
    }
  }
  for (const { column, type, field } of mapped) {
    const c = byName.get(column);
    if (type && c && c.importType !== null && !ACCEPTS[type].includes(c.importType)) {
      problems.push({ field: `${field}.type`, problem: `is ${type}, but column "${column}" is ${c.sourceType}` });
    }
  }
  const cursor = byName.get(spec.cursor.column);
  if (cursor && cursor.cursorKind === 'other' && cursor.importType !== 'string') {
    problems.push({
      field: 'cursor.column',
      problem: `column "${cursor.name}" (${cursor.sourceType}) cannot order a cursor`,
    });
  }
  const lag = cursor ? lagProblem(spec.cursor.lag, cursor.cursorKind) : null;
  if (lag) problems.push({ field: 'cursor.lag', problem: lag });
  return problems;
}
