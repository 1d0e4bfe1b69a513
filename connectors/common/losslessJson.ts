/**
 * JSON with numbers kept as their source text. JSON.parse turns 123456789012345678901234.5678 into a
 * double; warehouses that answer in JSON (ClickHouse before 21.x prints Decimal unquoted, and its
 * toString(Decimal128) is broken on 18.16) need every digit kept, so numbers become RawNumber.
 */
export class RawNumber {
  constructor(readonly text: string) {}
}

export type LosslessValue = null | boolean | string | RawNumber | LosslessValue[] | { [key: string]: LosslessValue };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WS = /[ \t\n\r]*/y;

/**
 * An object with no prototype: a key `__proto__` is then an ordinary own member, as JSON.parse makes it.
 * On a literal `{}`, assigning it would set the prototype instead and the member would be lost.
 */
const emptyObject = (): { [key: string]: LosslessValue } => Object.create(null) as { [key: string]: LosslessValue };

export function parseLossless(text: string): LosslessValue {
  let i = 0;
  const skip = () => {
    WS.lastIndex = i;
    WS.exec(text);
    i = WS.lastIndex;
  };
  const fail = (): never => {
    throw new SyntaxError(`invalid JSON at ${i}: ${text.slice(i, i + 40)}`);
  };
  const value = (): LosslessValue => {
    skip();
    const c = text[i];
    if (c === '"') {
      // Find the closing quote (skipping escapes) and let JSON.parse decode the string exactly.
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) fail();
      const s = JSON.parse(text.slice(i, j + 1)) as string;
      i = j + 1;
      return s;
    }
    if (c === '{') {
      i++;
      const obj = emptyObject();
      skip();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        skip();
        const key = value();
        if (typeof key !== 'string') fail();
        skip();
        if (text[i++] !== ':') fail();
        obj[key as string] = value();
        skip();
        const d = text[i++];
        if (d === '}') return obj;
        if (d !== ',') fail();
      }
    }
    if (c === '[') {
      i++;
      const arr: LosslessValue[] = [];
      skip();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        skip();
        const d = text[i++];
        if (d === ']') return arr;
        if (d !== ',') fail();
      }
    }
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) fail();
    i = NUMBER.lastIndex;
    return new RawNumber(m![0]);
  };
  const v = value();
  skip();
  if (i !== text.length) fail();
  return v;
}

/** JSON text again, numbers written exactly as they came. */
export function stringifyLossless(v: LosslessValue): string {
  if (v === null) return 'null';
  if (v instanceof RawNumber) return v.text;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(stringifyLossless).join(',')}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${JSON.stringify(k)}:${stringifyLossless(x)}`)
    .join(',')}}`;
}
