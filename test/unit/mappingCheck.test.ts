/**
 * The one mapping check: the API (every problem, each under its spec field) and a run's start (one
 * configuration error naming each) judge a spec against the source's columns the same way.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError, type SourceColumn, type SourceSession } from '../../connectors/source';
import { parseImportSpec } from '../../domain/importSpec';
import { checkColumns } from '../../engine/extract';
import { mappingProblems, problemText } from '../../engine/mappingCheck';

const columns: SourceColumn[] = [
  { name: 'id', sourceType: 'integer', importType: 'number', cursorKind: 'number' },
  { name: 'updated_at', sourceType: 'timestamptz', importType: 'timestamp', cursorKind: 'time' },
  { name: 'email', sourceType: 'text', importType: 'string', cursorKind: 'other' },
  { name: 'age', sourceType: 'integer', importType: 'number', cursorKind: 'number' },
  { name: 'Tier', sourceType: 'text', importType: 'string', cursorKind: 'other' },
];
const spec = parseImportSpec({
  id: 'people',
  name: 'people',
  dataType: 'profile',
  source: { connection: 'w', table: 'people' },
  cursor: { column: 'updated_at', key: 'id' },
  mapping: { userId: { column: 'email' }, attributes: [{ column: 'tier' }, { column: 'age', type: 'date' }] },
});
const session = { columns: async () => columns } as unknown as SourceSession;

describe('the mapping check', () => {
  it('the API states every problem under its spec field', () => {
    expect(mappingProblems(spec, columns).map((p) => ({ field: p.field, message: problemText(p) }))).toEqual([
      {
        field: 'mapping.attributes.0.column',
        message: 'column "tier" does not exist in table people; did you mean "Tier"?',
      },
      { field: 'mapping.attributes.1.type', message: 'is date, but column "age" is integer' },
    ]);
  });

  it('a run refuses the same spec before reading a row, naming each problem', async () => {
    const err = await checkColumns(session, spec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toBe(
      'mapped column "tier" (mapping.attributes.0) does not exist in table people; did you mean "Tier"?; mapping.attributes.1.type: is date, but column "age" is integer',
    );
  });

  it('a spec that reads passes both, and the run gets its cursor column', async () => {
    const good = parseImportSpec({
      ...spec,
      mapping: { userId: { column: 'email' }, attributes: [{ column: 'Tier' }, { column: 'age', type: 'number' }] },
    });
    expect(mappingProblems(good, columns)).toEqual([]);
    expect((await checkColumns(session, good)).name).toBe('updated_at');
  });
});
