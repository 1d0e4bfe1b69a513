/** Unit tests for what the connectors share: exact lag arithmetic, lossless JSON, ClickHouse literals. */
import { describe, expect, it } from 'vitest';
import { subtractLag, keysetSql } from '../../connectors/common/keyset';
import { parseLossless, RawNumber, stringifyLossless } from '../../connectors/common/losslessJson';
import { baseType, columnOf, typedLiteral } from '../../connectors/clickhouse/clickhouseTypes';
import { columnReader, exactInts, nonFiniteCheck, parseType } from '../../connectors/clickhouse/clickhouseValues';

describe('subtractLag', () => {
  it('is exact beyond 2^53 and with decimals', () => {
    expect(subtractLag('18446744073709551615', 15)).toBe('18446744073709551600');
    expect(subtractLag('2.5', 3)).toBe('-0.5');
    expect(subtractLag('-0.5', 1)).toBe('-1.5');
    expect(subtractLag('10.000', 0)).toBe('10.000');
    expect(subtractLag('1e3', 1)).toBe('999');
  });
});

describe('keysetSql', () => {
  it('reads after the position, at or below the bound', () => {
    const k = keysetSql('c', 'k', { cursor: '5', key: 'x' }, '9', (w, v) => `${w}:${v}`);
    expect(k.where).toBe(
      'c IS NOT NULL AND k IS NOT NULL AND c <= cursor:9 AND (c > cursor:5 OR (c = cursor:5 AND k > key:x))',
    );
    expect(k.orderBy).toBe('c, k');
  });
});

describe('lossless JSON', () => {
  it('keeps every digit and round-trips', () => {
    const v = parseLossless('{"d":123456789012345678901234.5678,"a":[1,-2.5e3,"x\\"y"],"n":null,"b":true}') as Record<
      string,
      unknown
    >;
    expect(v.d).toEqual(new RawNumber('123456789012345678901234.5678'));
    expect(stringifyLossless(v as never)).toBe(
      '{"d":123456789012345678901234.5678,"a":[1,-2.5e3,"x\\"y"],"n":null,"b":true}',
    );
    expect(() => parseLossless('{"a":1')).toThrow(SyntaxError);
  });

  it('keeps a member named __proto__ as an ordinary member, at any depth', () => {
    const top = parseLossless('{"__proto__":{"x":1},"a":2}') as Record<string, unknown>;
    expect(Object.keys(top)).toEqual(['__proto__', 'a']);
    expect(stringifyLossless(top as never)).toBe('{"__proto__":{"x":1},"a":2}');
    const nested = parseLossless('{"p":{"__proto__":5,"b":1}}') as Record<string, Record<string, unknown>>;
    expect(nested.p!.b).toEqual(new RawNumber('1'));
    expect(stringifyLossless(nested as never)).toBe('{"p":{"__proto__":5,"b":1}}');
    // Nothing inherited either: a missing member reads as missing, not as Object.prototype's.
    expect((parseLossless('{}') as Record<string, unknown>).constructor).toBeUndefined();
  });
});

describe('ClickHouse types', () => {
  it('unwraps Nullable and LowCardinality and maps types', () => {
    expect(baseType('Nullable(LowCardinality(String))')).toBe('String');
    expect(columnOf('a', "DateTime('Europe/Berlin')")).toMatchObject({ importType: 'timestamp', cursorKind: 'time' });
    expect(columnOf('a', 'Decimal(38, 4)')).toMatchObject({ importType: 'number', cursorKind: 'number' });
    expect(columnOf('a', 'Array(Nullable(String))').importType).toBe('json');
    expect(columnOf('a', 'AggregateFunction(uniq, UInt64)').importType).toBeNull();
  });
  it('renders typed literals that compare exactly', () => {
    expect(typedLiteral(columnOf('a', 'Nullable(UInt64)'), '18446744073709551615')).toBe(
      "CAST('18446744073709551615' AS UInt64)",
    );
    expect(typedLiteral(columnOf('a', 'DateTime'), '2024-01-01 00:00:00.5Z')).toBe(
      "toDateTime('2024-01-01 00:00:00', 'UTC')",
    );
    expect(typedLiteral(columnOf('a', 'DateTime64(6)'), '2024-01-01 00:00:00.123456Z')).toBe(
      "toDateTime64('2024-01-01 00:00:00.123456', 6, 'UTC')",
    );
    expect(typedLiteral(columnOf('a', 'String'), "it's \\")).toBe("'it\\'s \\\\'");
  });
});

describe('ClickHouse values read back exactly', () => {
  it('parses types into trees, with named tuple elements and quoted arguments', () => {
    expect(parseType("Tuple(a Int64, `b c` Array(Nullable(Float32)), Enum8('x,y' = 1), Decimal(38, 4))")).toEqual({
      name: 'Tuple',
      names: ['a', 'b c', null, null],
      args: [
        { name: 'Int64', args: [], names: [] },
        {
          name: 'Array',
          names: [null],
          args: [{ name: 'Nullable', names: [null], args: [{ name: 'Float32', args: [], names: [] }] }],
        },
        { name: 'Enum8', args: [], names: [] },
        { name: 'Decimal', args: [], names: [] },
      ],
    });
  });

  it('checks for NaN and infinities only where the type holds floats, with lambda variables of their own', () => {
    expect(nonFiniteCheck('`x`', parseType('Array(String)'))).toBeNull();
    expect(nonFiniteCheck('`x`', parseType('Float64'))).toBe('(isNaN(`x`) OR isInfinite(`x`))');
    expect(nonFiniteCheck('`x`', parseType('Array(Array(Nullable(Float64)))'))).toBe(
      'arrayExists(__tributary_v0 -> arrayExists(__tributary_v1 -> ifNull((isNaN(__tributary_v1) OR isInfinite(__tributary_v1)), 0), __tributary_v0), `x`)',
    );
    expect(nonFiniteCheck('`x`', parseType('Tuple(String, Float32)'))).toBe(
      '((isNaN(tupleElement(`x`, 2)) OR isInfinite(tupleElement(`x`, 2))))',
    );
  });

  it('turns quoted wide integers inside arrays, tuples and maps back into numbers, and nothing else', () => {
    const v = parseLossless('[["18446744073709551615","7"],["-1","-9"]]');
    expect(stringifyLossless(exactInts(v, parseType('Array(Tuple(UInt64, String))')))).toBe(
      '[[18446744073709551615,"7"],[-1,"-9"]]',
    );
    expect(
      stringifyLossless(
        exactInts(parseLossless('{"k":["5"],"__proto__":["6"]}'), parseType('Map(String, Array(Int128))')),
      ),
    ).toBe('{"k":[5],"__proto__":[6]}');
    expect(
      stringifyLossless(exactInts(parseLossless('{"a":"1","b":"2"}'), parseType('Tuple(a Int64, b String)'))),
    ).toBe('{"a":1,"b":"2"}');
  });

  it("reads a column: the server's text of a non-finite value wins over its null", () => {
    const r = columnReader(
      { name: 'xs', sourceType: 'Array(Int64)', importType: 'json', cursorKind: 'other' },
      '`xs`',
      'c0',
    );
    expect(r.select).toBe('`xs` AS c0');
    expect(r.text({ c0: parseLossless('["1"]') })).toBe('[1]');
    const f = columnReader(
      { name: 'f', sourceType: 'Nullable(Float64)', importType: 'number', cursorKind: 'number' },
      '`f`',
      'c1',
    );
    expect(f.select).toBe(
      "`f` AS c1, if(ifNull((isNaN(`f`) OR isInfinite(`f`)), 0), toString(`f`), '') AS c1_nonfinite",
    );
    expect(f.text({ c1: null, c1_nonfinite: 'nan' })).toBe('nan');
    expect(f.text({ c1: null, c1_nonfinite: '' })).toBeNull();
    expect(f.text({ c1: new RawNumber('0.1'), c1_nonfinite: '' })).toBe('0.1');
  });
});
