/**
 * Before an import is saved, its mapping is checked against the source's real columns and types: the
 * connection must resolve, the table or query must be readable, and every mapped column must exist with
 * a type the mapping can take (the engine's mapping check, which a run applies too). Each problem names
 * the spec field it comes from.
 */
import { mappingProblems, problemText, relationOf } from '../engine';
import { ConfigurationError, type SourceColumn } from '../connectors/source';
import type { ImportSpec } from '../domain/importSpec';
import type { ApiDeps } from './deps';
import { openScrubbed } from '../connectors/common/secretScrub';
import { badRequest, type FieldError, fieldError } from './problems';

export async function checkAgainstSource(deps: ApiDeps, spec: ImportSpec): Promise<SourceColumn[]> {
  const relationField =
    spec.source.table !== undefined
      ? 'source.table'
      : spec.source.file !== undefined
        ? 'source.file'
        : spec.source.folder !== undefined
          ? 'source.folder'
          : 'source.query';
  if (spec.source.folder !== undefined) {
    // Its files are checked one by one as they arrive, against their manifests, by the tributaryDropFolder workflow.
    throw fieldError(
      'source.folder',
      'a drop folder is watched by the tributaryDropFolder workflow (see the README, Drop folders), not run as a scheduled import',
    );
  }
  let config;
  try {
    config = await deps.resolveConnection(spec.source.connection);
  } catch (err) {
    if (err instanceof ConfigurationError)
      throw fieldError('source.connection', `no stored or configured connection "${spec.source.connection}"`);
    throw err;
  }
  const connector = deps.connectors[config.kind];
  if (!connector)
    throw fieldError('source.connection', `is of kind ${config.kind}, which this API has no connector for`);
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
  const errors: FieldError[] = mappingProblems(spec, columns).map((p) => ({ field: p.field, message: problemText(p) }));
  if (errors.length > 0) throw badRequest(errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
  return columns;
}
