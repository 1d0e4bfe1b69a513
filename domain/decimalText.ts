/**
 * Decimal numbers as text: comparing two renderings of a number, printing one exactly, and checking it
 * against the store's numeric type (jsonb keeps numbers as numeric: at most 131,072 digits before the
 * point and 16,383 after; beyond that Postgres refuses the whole COPY, so it must be a row error first).
 */

/** The store's numeric limits, as error messages name them. */
export const NUMERIC_LIMITS = '(at most 131,072 digits before the point, 16,383 after)';

/** A JSON number as sign, significant digits (no leading or trailing zeros) and point: 0.DIGITS × 10^point. */
function decimal(text: string): { negative: boolean; digits: string; point: number; scale: number } {
  let t = text;
  const negative = t.startsWith('-');
  if (negative) t = t.slice(1);
  let exponent = 0;
  const e = t.search(/[eE]/);
  if (e >= 0) {
    exponent = Number(t.slice(e + 1));
    t = t.slice(0, e);
  }
  const dot = t.indexOf('.');
  const intPart = dot >= 0 ? t.slice(0, dot) : t;
  const fraction = dot >= 0 ? t.slice(dot + 1) : '';
  // Digits after the point as written (numeric keeps them, trailing zeros too).
  const scale = Math.max(0, fraction.length - exponent);
  let digits = intPart + fraction;
  let point = intPart.length + exponent;
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead);
  point -= lead;
  digits = digits.replace(/0+$/, '');
  if (digits === '') return { negative: false, digits: '', point: 0, scale };
  return { negative, digits, point, scale };
}

/** Whether two JSON number texts have the same value (`printed` may be "null": no number at all). */
export function sameNumber(text: string, printed: string): boolean {
  if (printed === 'null') return false;
  const a = decimal(text);
  const b = decimal(printed);
  return a.negative === b.negative && a.digits === b.digits && a.point === b.point;
}

/**
 * A number's exact value in JavaScript's notation (Number::toString's rules, with all its digits): plain
 * up to 21 integer digits or 6 leading fraction zeros, else one digit, a fraction and an exponent.
 */
export function exactNumber(text: string): string {
  const { negative, digits, point: n } = decimal(text);
  if (digits === '') return '0';
  const k = digits.length;
  let out: string;
  if (k <= n && n <= 21) out = digits + '0'.repeat(n - k);
  else if (n > 0 && n <= 21) out = `${digits.slice(0, n)}.${digits.slice(n)}`;
  else if (n > -6 && n <= 0) out = `0.${'0'.repeat(-n)}${digits}`;
  else {
    const e = n - 1;
    out = `${digits[0]}${k > 1 ? `.${digits.slice(1)}` : ''}e${e > 0 ? '+' : '-'}${Math.abs(e)}`;
  }
  return negative ? `-${out}` : out;
}

/** Whether the store's numeric type takes this JSON number as written. */
export function fitsStoreNumeric(text: string): boolean {
  // Short and without an exponent: far inside the limits.
  if (text.length <= 1000 && !/[eE]/.test(text)) return true;
  const { digits, point, scale } = decimal(text);
  return Number.isFinite(point) && scale <= 16_383 && (digits === '' || point <= 131_072);
}
