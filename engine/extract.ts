/** Extraction: the run's relation, its checked columns, and the streamed read from a position. */
import type { ImportSpec } from '../domain/importSpec';
import { ConfigurationError, type Relation, type SourceColumn, type SourceSession } from '../connectors/source';
import { mappingProblems, runProblemText } from './mappingCheck';

export const relationOf = (spec: ImportSpec): Relation => {
  if (spec.source.table !== undefined) return { table: spec.source.table };
  if (spec.source.file !== undefined) return { file: spec.source.file };
  if (spec.source.folder !== undefined) {
    throw new ConfigurationError(
      'a drop folder (source.folder) is run by dropFolderWorkflow, which imports each file with source.file',
    );
  }
  return { query: spec.source.query! };
};

/**
 * Check the mapping against the source's real columns and types (engine/mappingCheck.ts, as the API does).
 * Its problems are a configuration error naming each, raised before any row is read.
 */
export async function checkColumns(session: SourceSession, spec: ImportSpec): Promise<SourceColumn> {
  const columns = await session.columns(relationOf(spec));
  const problems = mappingProblems(spec, columns);
  if (problems.length > 0) throw new ConfigurationError(problems.map(runProblemText).join('; '));
  return columns.find((c) => c.name === spec.cursor.column)!;
}
