/**
 * Before an import is saved, its mapping is checked against the source's real columns and types: the
 * connection must resolve, the table or query must be readable, and every mapped column must exist with
 * a type the mapping can take. Each problem names the spec field it comes from.
 */
import { relationOf } from '../engine';
import { ConfigurationError, type SourceColumn } from '../connectors/source';
import { type ImportSpec, lagProblem, mappedColumns, type ValueType } from '../domain/importSpec';
import type { ApiDeps } from './deps';
import { openScrubbed } from '../connectors/common/secretScrub';
import { badRequest, type FieldError, fieldError } from './problems';

/** Which source types a declared mapping type can be read from (text can hold anything). */
const ACCEPTS: Record<ValueType, (ValueType | null)[]> = {
  string: ['string', 'number', 'boolean', 'timestamp', 'date', 'json'],
  number: ['number', 'string'],
  boolean: ['boolean', 'string', 'number'],
  timestamp: ['timestamp', 'date', 'string', 'number'],
  date: ['date', 'timestamp', 'string'],
  json: ['json', 'string', 'number', 'boolean', 'timestamp', 'date'],
};

/** The spec field of a column reference, ending in `.column` (or cursor.column / cursor.key). */
const columnField = (field: string): string => (field.startsWith('cursor.') ? field : `${field}.column`);

function typedColumns(spec: ImportSpec): { column: string; type: ValueType; field: string }[] {
  const out: { column: string; type: ValueType; field: string }[] = [];
  if (spec.dataType === 'profile') spec.mapping.attributes.forEach((a, i) => out.push({ column: a.column, type: a.type, field: `mapping.attributes.${i}` }));
  if (spec.dataType === 'activity') {
    out.push({ column: spec.mapping.timestamp.column, type: 'timestamp', field: 'mapping.timestamp' });
    spec.mapping.properties.forEach((a, i) => out.push({ column: a.column, type: a.type, field: `mapping.properties.${i}` }));
  }
  return out;
}

export async function checkAgainstSource(deps: ApiDeps, spec: ImportSpec): Promise<SourceColumn[]> {
  const relationField =
    spec.source.table !== undefined ? 'source.table' : spec.source.file !== undefined ? 'source.file' : spec.source.folder !== undefined ? 'source.folder' : 'source.query';
  if (spec.source.folder !== undefined) {
    // Its files are checked one by one as they arrive, against their manifests, by the tributaryDropFolder workflow.
    throw fieldError('source.folder', 'a drop folder is watched by the tributaryDropFolder workflow (see the README, Drop folders), not run as a scheduled import');
  }
  let config;
  try {
    config = await deps.resolveConnection(spec.source.connection);
  } catch (err) {
    if (err instanceof ConfigurationError) throw fieldError('source.connection', `no stored or configured connection "${spec.source.connection}"`);
    throw err;
  }
  const connector = deps.connectors[config.kind];
  if (!connector) throw fieldError('source.connection', `is of kind ${config.kind}, which this API has no connector for`);
  let session;
  try {
    session = await openScrubbed(connector, config);
  } catch (err) {
    // A connection the operator's policy refuses (a folder outside the file roots, a private host) or cannot open.
    if (err instanceof ConfigurationError) throw fieldError('source.connection', err.message);
    throw err;
  }
  let columns: SourceColumn[];
  try {
    columns = await session.columns(relationOf(spec));
  } catch (err) {
    if (err instanceof ConfigurationError) throw fieldError(relationField, err.message);
    throw err;
  } finally {
    await session.close();
  }
  const byName = new Map(columns.map((c) => [c.name, c]));
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const { column, field } of mappedColumns(spec)) {
    const f = columnField(field);
    if (seen.has(f)) continue;
    seen.add(f);
    const c = byName.get(column);
    if (!c) {
      const near = columns.find((x) => x.name.toLowerCase() === column.toLowerCase());
      errors.push({
        field: f,
        message: `column "${column}" does not exist in ${relationField === 'source.table' ? spec.source.table : relationField === 'source.file' ? spec.source.file!.path : 'the query'}` +
          (near ? `; did you mean "${near.name}"?` : `; its columns are ${columns.map((x) => x.name).join(', ')}`),
      });
    } else if (c.importType === null) {
      errors.push({ field: f, message: `column "${column}" has type ${c.sourceType}, which an import cannot read` });
    }
  }
  for (const { column, type, field } of typedColumns(spec)) {
    const c = byName.get(column);
    if (c && c.importType !== null && !ACCEPTS[type].includes(c.importType)) {
      errors.push({ field: `${field}.type`, message: `is ${type}, but column "${column}" is ${c.sourceType}` });
    }
  }
  const cursor = byName.get(spec.cursor.column);
  if (cursor && cursor.cursorKind === 'other' && cursor.importType !== 'string') {
    errors.push({ field: 'cursor.column', message: `column "${cursor.name}" (${cursor.sourceType}) cannot order a cursor` });
  }
  const lag = cursor ? lagProblem(spec.cursor.lag, cursor.cursorKind) : null;
  if (lag) errors.push({ field: 'cursor.lag', message: lag });
  if (errors.length > 0) throw badRequest(errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
  return columns;
}
