/** compileMapping on single rows: what the store cannot hold is a row error naming the column and value. */
import { describe, expect, it } from 'vitest';
import { parseArray } from '../../engine/mapValidate';
import { compileMapping } from '../../engine/compileMapping';
import { parseImportSpec } from '../../domain/importSpec';

const base = {
  id: 'x',
  name: 'x',
  source: { connection: 'w', table: 't' },
  cursor: { column: 'updated_at', key: 'id' },
};
const mapRow = (spec: unknown, values: Record<string, string | null>) => {
  const m = compileMapping(parseImportSpec(spec));
  return m.map(
    m.columns.map((c) => values[c] ?? null),
    1,
  );
};

describe('text the store cannot hold', () => {
  it('an unpaired surrogate in an identifier is a row error, not U+FFFD (two users would become one)', () => {
    const spec = {
      ...base,
      dataType: 'profile',
      mapping: { userId: { column: 'uid' }, idType: { value: 'email' }, attributes: [] },
    };
    expect(mapRow(spec, { id: '1', updated_at: 't', uid: 'u\ud800' })).toEqual({
      ok: false,
      column: 'uid',
      value: 'u\ud800',
      reason: 'identifier contains an unpaired surrogate (not valid Unicode)',
    });
    expect(mapRow(spec, { id: '1', updated_at: 't', uid: 'u\ud83d\ude00' })).toMatchObject({ ok: true });
  });

  it('a NUL or unpaired surrogate in a string value, a JSON value or a group role is a row error', () => {
    const spec = {
      ...base,
      dataType: 'profile',
      mapping: {
        userId: { column: 'uid' },
        idType: { value: 'email' },
        attributes: [
          { column: 'name', type: 'string' },
          { column: 'meta', type: 'json' },
        ],
      },
    };
    expect(mapRow(spec, { id: '1', updated_at: 't', uid: 'u', name: 'a\udc00' })).toMatchObject({
      ok: false,
      column: 'name',
      reason: 'value contains an unpaired surrogate (not valid Unicode)',
    });
    expect(mapRow(spec, { id: '1', updated_at: 't', uid: 'u', meta: '{"k":"a\\u0000b"}' })).toMatchObject({
      ok: false,
      column: 'meta',
      value: '{"k":"a\\u0000b"}',
      reason: 'JSON holds a string with a NUL character',
    });
    const group = {
      ...base,
      dataType: 'group',
      mapping: {
        userId: { column: 'uid' },
        groupId: { column: 'hid' },
        groupType: { value: 'household' },
        role: { column: 'role' },
      },
    };
    expect(mapRow(group, { id: '1', updated_at: 't', uid: 'u', hid: 'h', role: 'owner\u0000' })).toEqual({
      ok: false,
      column: 'role',
      value: 'owner\u0000',
      reason: 'role contains a NUL character',
    });
  });
});

describe('segment arrays', () => {
  it('reads Postgres and JSON arrays of names, and refuses nested arrays', () => {
    expect(parseArray('{a,"b c","d\\"e"}')).toEqual(['a', 'b c', 'd"e']);
    expect(parseArray('["a","b"]')).toEqual(['a', 'b']);
    expect(parseArray('{{a,b},{c,d}}')).toBeNull();
    expect(parseArray('[["a"]]')).toBeNull();
  });
});
