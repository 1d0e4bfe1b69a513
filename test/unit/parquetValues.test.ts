/** The exact-text rules of Parquet values that the file tests cannot reach with a few rows: every float32, far dates. */
import { describe, expect, it } from 'vitest';
import {
  dateText,
  decimalText,
  f16round,
  float16Text,
  float32Text,
  timestampText,
} from '../../connectors/files/formats/parquetValues';

describe('float32Text', () => {
  it('prints each float32 with the fewest digits that read back as the same float', () => {
    const bits = new Uint32Array(1);
    const f = new Float32Array(bits.buffer);
    let seed = 12345;
    for (let i = 0; i < 20_000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      bits[0] = seed;
      const v = f[0]!;
      if (!Number.isFinite(v)) continue;
      const text = float32Text(v);
      expect(Math.fround(Number(text))).toBe(v);
      const digits = text
        .replace(/^-/, '')
        .replace(/e.*$/, '')
        .replace('.', '')
        .replace(/^0+/, '')
        .replace(/0+$/, '').length;
      if (digits > 1) expect(Math.fround(Number(v.toPrecision(digits - 1)))).not.toBe(v);
    }
    expect([0.1, 1.3, 16777217, 1e-45].map((x) => float32Text(Math.fround(x)))).toEqual([
      '0.1',
      '1.3',
      '16777216',
      '1e-45',
    ]);
  });
});

describe('float16Text', () => {
  /** A half's value from its bits, decoded independently of f16round. */
  const half = (bits: number): number => {
    const sign = bits >> 15 ? -1 : 1;
    const exp = (bits >> 10) & 0x1f;
    const frac = bits & 0x3ff;
    if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
    if (exp === 0x1f) return frac ? NaN : sign * Infinity;
    return sign * 2 ** (exp - 15) * (1 + frac / 1024);
  };

  it('prints every one of the 63,488 finite halves with the fewest digits that read back as the same half', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const v = half(bits);
      if (!Number.isFinite(v)) continue;
      expect(f16round(v)).toBe(v);
      const text = float16Text(v);
      expect(f16round(Number(text)) === v).toBe(true); // -0 prints as 0, as String(-0) does
      const digits = text
        .replace(/^-/, '')
        .replace(/e.*$/, '')
        .replace('.', '')
        .replace(/^0+/, '')
        .replace(/0+$/, '').length;
      if (digits > 1) expect(f16round(Number(v.toPrecision(digits - 1)))).not.toBe(v);
    }
    expect([0.1, 65504, 1 / 3].map((x) => float16Text(f16round(x)))).toEqual(['0.1', '65500', '0.3333']);
  });

  it('rounds to the nearest half, ties to even, past the largest to infinity', () => {
    expect(f16round(1 + 2 ** -11)).toBe(1); // a tie: 1 is even
    expect(f16round(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9); // a tie: rounds up to even
    expect(f16round(65519)).toBe(65504);
    expect(f16round(65520)).toBe(Infinity);
    expect(f16round(2 ** -25)).toBe(0); // half the smallest subnormal: ties to even (0)
    expect(f16round(2 ** -24)).toBe(2 ** -24);
  });
});

describe('decimal, timestamp and date text', () => {
  it("puts the point back into the unscaled integer, keeping the scale's digits", () => {
    expect([
      decimalText(3n, 1),
      decimalText(-1n, 2),
      decimalText(0n, 3),
      decimalText(-120n, 0),
      decimalText(7n, -2),
    ]).toEqual(['0.3', '-0.01', '0.000', '-120', '700']);
  });

  it('formats instants before 1970 and past 9999 without a Date (which stops at ±100,000,000 days)', () => {
    expect(timestampText(-1n, 6, true)).toBe('1969-12-31T23:59:59.999999Z');
    expect(timestampText(-62135596800000000n, 6, false)).toBe('0001-01-01T00:00:00.000000');
    expect(timestampText(253402300800000n, 3, true)).toBe('+010000-01-01T00:00:00.000Z');
    expect(timestampText(9223372036854775807n, 3, true)).toBe('+292278994-08-17T07:12:55.807Z');
    expect(dateText(-719528)).toBe('0000-01-01');
    expect(dateText(2932896)).toBe('9999-12-31');
  });
});
