/** Identifier normalisation and the rules for reserved values. Pure functions. */
import type { IdentifierOptions } from './importSpec';

export type IdentifierResult = { ok: true; value: string } | { ok: false; reason: string };

/** Build a normaliser once per import: the reserved list is lower-cased into a Set. */
export function identifierNormaliser(options: IdentifierOptions): (raw: string | null) => IdentifierResult {
  const reserved = new Set(options.reserved.map((r) => r.trim().toLowerCase()));
  // Lower-casing never shortens a string, so a value longer than every reserved word is not one.
  let longestReserved = 0;
  for (const r of reserved) longestReserved = Math.max(longestReserved, r.length);
  return (raw) => {
    if (raw === null) return { ok: false, reason: 'identifier is missing (NULL)' };
    let value = options.trim ? raw.trim() : raw;
    const trimmed = options.trim ? value : value.trim();
    if (trimmed === '') return { ok: false, reason: 'identifier is empty or blank' };
    if (options.lowerCase) value = value.toLowerCase();
    // As before: the lower-cased value, trimmed, is looked up (lower-casing first, then trimming).
    const candidate = options.lowerCase ? value.trim() : trimmed;
    if (candidate.length <= longestReserved && reserved.has(candidate.toLowerCase())) {
      return { ok: false, reason: `identifier "${value}" is a reserved value` };
    }
    if (value.length > options.maxLength) {
      return { ok: false, reason: `identifier is ${value.length} characters long; the limit is ${options.maxLength}` };
    }
    return { ok: true, value };
  };
}
