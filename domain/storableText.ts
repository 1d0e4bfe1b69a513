/**
 * What in a text the store cannot take as it is, or null: a NUL (Postgres text refuses it) or an unpaired
 * UTF-16 surrogate (no UTF-8 encoding: it would be sent as U+FFFD, silently, so 'u\ud800' and 'u\udfff'
 * would become one identifier; in JSON, jsonb refuses it).
 */
export function unstorable(s: string): string | null {
  if (s.includes('\u0000')) return 'a NUL character';
  if (!(s as string & { isWellFormed(): boolean }).isWellFormed()) return 'an unpaired surrogate (not valid Unicode)';
  return null;
}
