/** Identifier normalisation and the reserved-value rules of brief §2. Pure functions. */
import type { IdentifierOptions } from './importSpec';

export type IdentifierResult = { ok: true; value: string } | { ok: false; reason: string };

/** Build a normaliser once per import: the reserved list is lower-cased into a Set. */
export function identifierNormaliser(options: IdentifierOptions): (raw: string | null) => IdentifierResult {
  const reserved = new Set(options.reserved.map((r) => r.trim().toLowerCase()));
  return (raw) => {
    if (raw === null) return { ok: false, reason: 'identifier is missing (NULL)' };
    let value = options.trim ? raw.trim() : raw;
    if (value.trim() === '') return { ok: false, reason: 'identifier is empty or blank' };
    if (options.lowerCase) value = value.toLowerCase();
    if (reserved.has(value.trim().toLowerCase())) {
      return { ok: false, reason: `identifier "${value}" is a reserved value` };
    }
    if (value.length > options.maxLength) {
      return { ok: false, reason: `identifier is ${value.length} characters long; the limit is ${options.maxLength}` };
    }
    return { ok: true, value };
  };
}
