/**
 * File headers become column names an import can map: letters, digits, _ and $ (what domain/importSpec.ts
 * takes). Each run of other characters becomes _, a name that starts with a digit gets a leading _, an
 * empty one is col_<n>, and a name seen before in the same header (or a virtual column's) gets _2, _3, … so none is lost.
 */

export function columnName(raw: string): string {
  let name = raw.trim().replace(/[^A-Za-z0-9_$]+/g, '_');
  if (name === '' || name === '_') return '';
  if (/^[0-9$]/.test(name)) name = `_${name}`;
  return name.slice(0, 63);
}

/** `base`, or `base_2`, `base_3`, … whichever `taken` does not hold yet; it is then taken. */
function distinctName(base: string, taken: Set<string>): string {
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base.slice(0, 60)}_${n}`;
  taken.add(name);
  return name;
}

/**
 * Header cells → distinct column names, in order. `renamed` hears of each cell whose name was taken already
 * (a repeated header, or a virtual column's name), so the run can say which column it became.
 */
export function headerNames(
  cells: (string | null)[],
  reserved: readonly string[] = [],
  renamed?: (cell: string, name: string) => void,
): string[] {
  // The file's virtual columns (_line, _source) keep their names: a header cell of the same name is renamed.
  const seen = new Set<string>(reserved);
  return cells.map((cell, i) => {
    const base = columnName(cell ?? '') || `col_${i + 1}`;
    const name = distinctName(base, seen);
    if (name !== base) renamed?.(cell ?? '', name);
    return name;
  });
}

/**
 * The members of NDJSON objects (or XML paths) → distinct column names, by the rule of headerNames:
 * `first name` and `first_name` give first_name and first_name_2, a member `_line` gives _line_2.
 * Names are given in the order members are first seen while the file's first records are scanned;
 * reading uses that same scan, so a resumed read names every member as the columns did.
 */
export class MemberNames {
  private readonly byKey = new Map<string, string>();
  private readonly taken: Set<string>;
  readonly names: string[] = [];

  constructor(reserved: readonly string[]) {
    this.taken = new Set(reserved);
  }

  /** Scanning: the column of a member, named the first time it is seen. */
  add(key: string): string {
    let name = this.byKey.get(key);
    if (name === undefined) {
      name = distinctName(columnName(key) || `col_${this.names.length + 1}`, this.taken);
      this.byKey.set(key, name);
      this.names.push(name);
    }
    return name;
  }

  /** Reading: a scanned member's column, or undefined for one the scan did not see. */
  known(key: string): string | undefined {
    return this.byKey.get(key);
  }

  /**
   * Reading: names for members of one record that the scan did not see (past its first records). They
   * keep clear of every scanned name, so a mapped column never receives another member's value; they
   * depend only on the record, not on where a read started.
   */
  unseen(keys: string[]): Map<string, string> {
    const taken = new Set(this.taken);
    const n = this.names.length;
    return new Map(keys.map((k, i) => [k, distinctName(columnName(k) || `col_${n + i + 1}`, taken)]));
  }
}
