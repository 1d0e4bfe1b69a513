/**
 * canonicalJsonText against the rendering of earlier versions (JSON.parse, sort, print): the dedup memory
 * hashes this text, so for every document its `key` must be exactly what earlier versions produced, and
 * `json` the same text too whenever no number lost digits through a double.
 */
import { describe, expect, it } from 'vitest';
import { canonicalJsonText, legacyCanonicalJson, UnstorableJsonError } from '../../domain/canonicalJson';
import { exactNumber, fitsStoreNumeric, sameNumber } from '../../domain/decimalText';
import { rng } from '../oracles/random';

/** A small seeded generator, so a failure can be replayed. */
const random = (seed: number): (() => number) => rng(seed).next;

// No NUL and no unpaired surrogate: JSON the store cannot hold is an error (tested below).
const KEYS = [
  'a',
  'b',
  'B',
  'ab',
  'é',
  'z\u0001',
  'line\nbreak',
  'quote"d',
  'back\\slash',
  '\u2028',
  '😀',
  '\ud83d\ude00x',
  '__proto__',
  '10',
  '2',
  '',
];
const STRINGS = [...KEYS, 'https://shop.example.com/a?b=c', 'tab\there', '\u001f', 'plain text'];

/** A JSON document written in a random but valid way, and whether all its numbers are doubles exactly. */
function document(r: () => number, depth = 0, spaced = true): { text: string; exact: boolean } {
  const ws = () => (spaced ? [' ', '', '', '\n', '\t', '\r\n  '][Math.floor(r() * 6)]! : '');
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const str = (s: string) => {
    // Escape some characters the long way (\uXXXX, \/), as other writers do.
    let out = '"';
    for (const ch of s) {
      if (ch === '"' || ch === '\\' || ch.charCodeAt(0) < 32 || r() < 0.1) {
        out += [...ch]
          .map((c) =>
            Array.from({ length: c.length }, (_, k) => `\\u${c.charCodeAt(k).toString(16).padStart(4, '0')}`).join(''),
          )
          .join('');
      } else if (ch === '/' && r() < 0.5) out += '\\/';
      else out += ch;
    }
    return `${out}"`;
  };
  const kind = depth >= 3 ? Math.floor(r() * 4) : Math.floor(r() * 6);
  switch (kind) {
    case 0:
      return { text: pick(['true', 'false', 'null']), exact: true };
    case 1:
      return { text: str(pick(STRINGS)), exact: true };
    case 2:
    case 3: {
      const n = pick([
        () => String(Math.floor(r() * 1000)),
        () => String(-Math.floor(r() * 1e15)),
        () => String(r() * 1000),
        () => (r() * 1e-9).toExponential(),
        () => `${Math.floor(r() * 100)}.${'0'.repeat(Math.floor(r() * 3))}`.replace(/\.$/, '.5'),
        () => String(r() * 1e25),
        () => pick(['-0', '0.0', '1E2', '1e+2', '1.5e-7', '5e-324', '1.7976931348623157e308', '100e-2']),
        // Not doubles exactly: these lose digits through a double.
        () =>
          pick([
            '12345678901234567890',
            '9007199254740993',
            '0.1000000000000000055511151231257827',
            '1e400',
            '2e-400',
            '-1e-400',
            '123456789012345678901234.5',
          ]),
      ])();
      return { text: n, exact: sameNumber(n, JSON.stringify(Number(n))) };
    }
    case 4: {
      const items = Array.from({ length: Math.floor(r() * 4) }, () => document(r, depth + 1, spaced));
      return {
        text: `[${ws()}${items.map((i) => i.text).join(`${ws()},${ws()}`)}${ws()}]`,
        exact: items.every((i) => i.exact),
      };
    }
    default: {
      const members = Array.from({ length: Math.floor(r() * 6) }, () => ({
        key: pick(KEYS),
        value: document(r, depth + 1, spaced),
      }));
      return {
        text: `{${ws()}${members.map((m) => `${str(m.key)}${ws()}:${ws()}${m.value.text}`).join(`${ws()},${ws()}`)}${ws()}}`,
        // A repeated key keeps its last value only: an earlier one's numbers do not count.
        exact: members.every((m, n) => m.value.exact || members.slice(n + 1).some((later) => later.key === m.key)),
      };
    }
  }
}

describe('canonicalJsonText', () => {
  it('gives the earlier rendering as the key of every document, and as the text when its numbers are exact', () => {
    const r = random(20261123);
    let inexact = 0;
    for (let n = 0; n < 20_000; n++) {
      const { text, exact } = document(r);
      const legacy = legacyCanonicalJson(JSON.parse(text));
      const c = canonicalJsonText(text);
      expect(c.key, text).toBe(legacy);
      if (exact) expect(c.json, text).toBe(legacy);
      else {
        inexact++;
        // Valid JSON, the same document up to the numbers' digits, and canonical (a fixed point).
        expect(legacyCanonicalJson(JSON.parse(c.json)), text).toBe(legacy);
        expect(canonicalJsonText(c.json).json, text).toBe(c.json);
      }
    }
    expect(inexact).toBeGreaterThan(500);
  });

  it('gives the same answers for documents written without whitespace, canonical or not', () => {
    // Compact text, canonical text and text that is canonical but for one member: the reader passes
    // stretches already canonical through as they are, so these must come out as JSON.parse says too.
    const r = random(20261205);
    let asWritten = 0;
    for (let n = 0; n < 8_000; n++) {
      const { text, exact } = document(r, 0, false);
      const legacy = legacyCanonicalJson(JSON.parse(text));
      for (const t of [text, JSON.stringify(JSON.parse(text)), legacy]) {
        const c = canonicalJsonText(t);
        expect(c.key, t).toBe(legacyCanonicalJson(JSON.parse(t)));
        if (exact) expect(c.json, t).toBe(legacy);
      }
      if (exact && canonicalJsonText(legacy).json === legacy) asWritten++;
    }
    expect(asWritten).toBeGreaterThan(4_000);
    // The events' context: nested, keys out of order, then in order, then spaced.
    for (const t of [
      '{"campaign":"none","ab":{"variant":"B","exp":7},"items":3,"referrer":"https://ref7.example.org/"}',
      '{"ab":{"exp":7,"variant":"B"},"campaign":"none","items":3,"referrer":"https://ref7.example.org/"}',
      '{"ab":{"exp":7,"variant":"B"},"campaign":"none","items":[1,2,{"b":-0,"a":1.50}],"referrer":null}',
      '{"ab":{"exp":7,"variant":"B"} ,"x":[1, 2],"y":[ ],"z":{ },"w":[1 ]}',
    ]) {
      expect(canonicalJsonText(t).json, t).toBe(legacyCanonicalJson(JSON.parse(t)));
    }
  });

  it('refuses what JSON.parse refuses', () => {
    const r = random(7);
    let refused = 0;
    for (let n = 0; n < 20_000; n++) {
      // Half of them written without whitespace, where the reader passes canonical stretches through.
      const { text } = document(r, 0, n % 2 === 0);
      // One character deleted or inserted at random.
      const at = Math.floor(r() * (text.length + 1));
      const mutated =
        r() < 0.5
          ? text.slice(0, at) + text.slice(at + 1)
          : text.slice(0, at) + '{}[]",:0e-.\\ x'[Math.floor(r() * 14)] + text.slice(at);
      let parsed = true;
      try {
        JSON.parse(mutated);
      } catch {
        parsed = false;
      }
      let rendered = true;
      try {
        canonicalJsonText(mutated);
      } catch (err) {
        rendered = false;
        // A number past the store's limits (a mutated exponent) is valid JSON, refused for its value.
        if (err instanceof UnstorableJsonError) rendered = true;
        else expect(err, mutated).toBeInstanceOf(SyntaxError);
      }
      expect(rendered, mutated).toBe(parsed);
      if (!parsed) refused++;
    }
    expect(refused).toBeGreaterThan(5_000);
  });

  it('keeps every digit, and knows the store numeric limits', () => {
    expect(canonicalJsonText('{"id": 12345678901234567890, "a": 1.0}')).toEqual({
      json: '{"a":1,"id":12345678901234567890}',
      key: '{"a":1,"id":12345678901234567000}',
    });
    expect(canonicalJsonText('[1e400, -2E-400, 1.2345678901234567890123e25]').json).toBe(
      '[1e+400,-2e-400,1.2345678901234567890123e+25]',
    );
    expect(() => canonicalJsonText('[1e131072]')).toThrow(UnstorableJsonError);
    expect(() => canonicalJsonText(`[1e${'9'.repeat(400)}]`)).toThrow(UnstorableJsonError);
    // jsonb refuses NUL and unpaired surrogates, however they are spelled.
    expect(() => canonicalJsonText('{"k":"a\\u0000b"}')).toThrow('JSON holds a string with a NUL character');
    expect(() => canonicalJsonText('["\\ud800"]')).toThrow(
      'JSON holds a string with an unpaired surrogate (not valid Unicode)',
    );
    expect(() => canonicalJsonText('{"\ud800":1}')).toThrow(UnstorableJsonError);
    expect(canonicalJsonText('["\\ud83d\\ude00", "😀"]').json).toBe('["😀","😀"]');
    // Objects past the insertion sort's size: the same order, repeated keys keep their last value.
    const many = Array.from({ length: 40 }, (_, n) => `"k${(n * 17) % 23}":${n}`).join(',');
    expect(canonicalJsonText(`{${many}}`).json).toBe(legacyCanonicalJson(JSON.parse(`{${many}}`)));
    expect(exactNumber('0.000001234')).toBe('0.000001234');
    expect(exactNumber('123456789012345678901.5')).toBe('123456789012345678901.5');
    expect(exactNumber('1234567890123456789012')).toBe('1.234567890123456789012e+21');
    expect(exactNumber('0.0000001234')).toBe('1.234e-7');
    expect(exactNumber('-00.0')).toBe('0');
    // Postgres numeric: 131,072 digits before the point, 16,383 after (as written, trailing zeros too).
    expect(fitsStoreNumeric('1e131071')).toBe(true);
    expect(fitsStoreNumeric('1e131072')).toBe(false);
    expect(fitsStoreNumeric('1e-16383')).toBe(true);
    expect(fitsStoreNumeric('1e-16384')).toBe(false);
    expect(fitsStoreNumeric('-0.0e-99999')).toBe(false);
    expect(fitsStoreNumeric('0e999999')).toBe(true);
  });
});
