/**
 * File headers become column names an import can map: letters, digits, _ and $ (what spec/importSpec.ts
 * takes). Each run of other characters becomes _, a name that starts with a digit gets a leading _, an
 * empty one is col_<n>, and a name seen before in the same header (or a virtual column's) gets _2, _3, … so none is lost.
 */

export function columnName(raw: string): string {
  let name = raw.trim().replace(/[^A-Za-z0-9_$]+/g, '_');
  if (name === '' || name === '_') return '';
  if (/^[0-9$]/.test(name)) name = `_${name}`;
  return name.slice(0, 63);
}

/** Header cells → distinct column names, in order. */
export function headerNames(cells: (string | null)[], reserved: readonly string[] = []): string[] {
  // The file's virtual columns (_line, _source) keep their names: a header cell of the same name is renamed.
  const seen = new Set<string>(reserved);
  return cells.map((cell, i) => {
    const base = columnName(cell ?? '') || `col_${i + 1}`;
    let name = base;
    for (let n = 2; seen.has(name); n++) name = `${base.slice(0, 60)}_${n}`;
    seen.add(name);
    return name;
  });
}
