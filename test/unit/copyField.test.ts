import { describe, expect, it } from 'vitest';
import { copyField } from '../../engine/mapValidate';

/** COPY text format's escaping, written out independently: each character on its own. */
function reference(v: string): string {
  let out = '';
  for (const ch of v)
    out += ch === '\\' ? '\\\\' : ch === '\t' ? '\\t' : ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : ch;
  return out;
}

describe('copyField', () => {
  it('escapes backslash, tab, newline and carriage return anywhere in short and long values', () => {
    const specials = ['\\', '\t', '\n', '\r'];
    for (const length of [0, 1, 5, 31, 32, 33, 100, 400]) {
      const base = 'a{"k":"é€😀"}'.repeat(40).slice(0, length);
      expect(copyField(base)).toBe(reference(base));
      for (const s of specials) {
        for (const at of [0, Math.floor(length / 2), length]) {
          const v = base.slice(0, at) + s + base.slice(at);
          expect(copyField(v)).toBe(reference(v));
          const two = v + s + specials[(specials.indexOf(s) + 1) % 4]!;
          expect(copyField(two)).toBe(reference(two));
        }
      }
    }
    expect(copyField(null)).toBe('\\N');
  });
});
