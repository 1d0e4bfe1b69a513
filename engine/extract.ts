/** Extraction: the run's relation, its checked columns, and the streamed read from a position. */
import type { ImportSpec } from '../domain/importSpec';
import { lagProblem, mappedColumns } from '../domain/importSpec';
import { ConfigurationError, type Relation, type SourceColumn, type SourceSession } from '../connectors/source';

export const relationOf = (spec: ImportSpec): Relation => {
  if (spec.source.table !== undefined) return { table: spec.source.table };
  if (spec.source.file !== undefined) return { file: spec.source.file };
  if (spec.source.folder !== undefined) {
    throw new ConfigurationError('a drop folder (source.folder) is run by dropFolderWorkflow, which imports each file with source.file');
  }
  return { query: spec.source.query! };
};

const describe = (spec: ImportSpec) =>
  spec.source.table !== undefined ? `table ${spec.source.table}` : spec.source.file ? `file ${spec.source.file.path}` : 'the custom query';

/**
 * Check the mapping against the source's real columns and types. A mapped column that is missing or of a
 * type the import cannot take is a configuration error naming it, raised before any row is read.
 */
export async function checkColumns(session: SourceSession, spec: ImportSpec): Promise<SourceColumn> {
  const columns = await session.columns(relationOf(spec));
  const byName = new Map(columns.map((c) => [c.name, c]));
  for (const { column, field } of mappedColumns(spec)) {
    const found = byName.get(column);
    if (!found) {
      const near = columns.find((c) => c.name.toLowerCase() === column.toLowerCase());
      throw new ConfigurationError(
        `mapped column "${column}" (${field}) does not exist in ${describe(spec)}` +
          (near ? `; did you mean "${near.name}"?` : `; its columns are: ${columns.map((c) => c.name).join(', ')}`),
      );
    }
    if (found.importType === null) {
      throw new ConfigurationError(
        `mapped column "${column}" (${field}) has type ${found.sourceType}, which an import cannot take`,
      );
    }
  }
  const cursor = byName.get(spec.cursor.column)!;
  const lag = lagProblem(spec.cursor.lag, cursor.cursorKind);
  if (lag) throw new ConfigurationError(`cursor.lag: ${lag}`);
  return cursor;
}
