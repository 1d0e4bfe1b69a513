/**
 * String values as JSON literals: the plain-string shortcut must write exactly what JSON.stringify and
 * Python's json module write, and never let through what the store refuses.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { jsonString, plainJsonString } from '../../domain/values';
import { unstorable } from '../../domain/storableText';
import { compileMapping } from '../../engine/compileMapping';
import { parseImportSpec } from '../../domain/importSpec';
import { rng } from '../oracles/random';

/** A small seeded generator, so a failure can be replayed. */
const random = (seed: number): (() => number) => rng(seed).next;

// Every ASCII character, and the edges around what JSON escapes: DEL, U+2028, a pair, lone halves.
const PIECES = [
  ...Array.from({ length: 128 }, (_, c) => String.fromCharCode(c)),
  'é',
  '\u2028',
  '\u2029',
  '\ufeff',
  '😀',
  '\ud800',
  '\udfff',
  'plain text ',
];

function randomString(r: () => number, plainOnly: boolean): string {
  let s = '';
  const n = Math.floor(r() * 12);
  for (let k = 0; k < n; k++) {
    const piece = PIECES[Math.floor(r() * PIECES.length)]!;
    if (plainOnly && plainJsonString(piece) === null) continue;
    s += piece;
  }
  return s;
}

describe('string values as JSON literals', () => {
  it('writes what JSON.stringify writes, and the shortcut only for storable strings', () => {
    const r = random(20261205);
    let plain = 0;
    for (let n = 0; n < 20_000; n++) {
      const s = randomString(r, n % 2 === 0);
      expect(jsonString(s), JSON.stringify(s)).toBe(JSON.stringify(s));
      const p = plainJsonString(s);
      if (p !== null) {
        plain++;
        expect(p).toBe(JSON.stringify(s));
        expect(unstorable(s)).toBeNull();
      }
    }
    expect(plain).toBeGreaterThan(8_000);
  });

  it('writes what Python json.dumps writes (no lone surrogates: Python leaves them unescaped)', () => {
    const r = random(7);
    const strings = Array.from({ length: 2_000 }, () => randomString(r, false)).filter((s) => unstorable(s) === null);
    const python = execFileSync(
      'python3',
      ['-c', 'import json,sys; print(json.dumps([json.dumps(s, ensure_ascii=False) for s in json.load(sys.stdin)]))'],
      { input: JSON.stringify(strings), encoding: 'utf8' },
    );
    expect(strings.map(jsonString)).toEqual(JSON.parse(python));
  });

  it('a string value with a NUL or a lone surrogate is still a row error; plain ones are stored as written', () => {
    const spec = parseImportSpec({
      id: 'x',
      name: 'x',
      dataType: 'activity',
      source: { connection: 'w', table: 't' },
      cursor: { column: 'updated_at', key: 'id' },
      mapping: {
        userId: { column: 'uid' },
        idType: { value: 'email' },
        eventType: { value: 'e' },
        timestamp: { column: 'at' },
        properties: [{ column: 'name', type: 'string' }],
      },
    });
    const m = compileMapping(spec);
    const row = (name: string) =>
      m.map(
        m.columns.map((c) => ({ id: '1', updated_at: 't', uid: 'u', at: '2024-01-01T00:00:00Z', name })[c] ?? null),
        1,
      );
    expect(row('a\u0000b')).toMatchObject({ ok: false, column: 'name', reason: 'value contains a NUL character' });
    expect(row('a\ud800')).toMatchObject({
      ok: false,
      column: 'name',
      reason: 'value contains an unpaired surrogate (not valid Unicode)',
    });
    const ok = row('https://shop.example.com/a?b=c');
    expect(ok.ok && ok.row?.includes('\t{"name":"https://shop.example.com/a?b=c"}\t')).toBe(true);
  });
});
