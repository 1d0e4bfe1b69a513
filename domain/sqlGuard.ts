/**
 * Custom SQL must be one SELECT: anything else is rejected before it reaches the source.
 *
 * checkQueryShape runs where the dialect is not known yet (parsing an import spec, also in the workflow):
 * it only refuses what is wrong in every dialect, and says nothing when the text's lexing depends on the
 * dialect (backslashes in quotes, dollar quotes, # comments). The connector then checks the query in its
 * own dialect (fromClause's guard; Postgres uses the server's parser) and runs it in a READ ONLY
 * transaction. assertSingleSelect is the older lexical check, still the guard of connectors without one
 * of their own.
 */

const WRITE_KEYWORDS =
  /\b(insert|update|delete|merge|truncate|drop|alter|create|grant|revoke|copy|call|do|vacuum|analyze|lock|refresh|reindex|cluster|comment|security|set|reset|listen|notify|prepare|execute|into)\b/i;

/** Remove comments and the contents of literals and quoted identifiers, keeping the statement's shape. */
function skeleton(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      out += ' ';
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new Error('custom query: unterminated /* comment');
      i = end + 2;
      out += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (;;) {
        if (j >= sql.length)
          throw new Error(`custom query: unterminated ${c === "'" ? 'string literal' : 'quoted identifier'}`);
        if (sql[j] === c) {
          if (sql[j + 1] === c) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      out += c === "'" ? "''" : '"q"';
      i = j + 1;
    } else if (c === '$' && /^\$[A-Za-z_]*\$/.test(sql.slice(i))) {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i))![0];
      const end = sql.indexOf(tag, i + tag.length);
      if (end < 0) throw new Error('custom query: unterminated dollar-quoted string');
      out += "''";
      i = end + tag.length;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Returns the query without a trailing semicolon, or throws an Error saying what is wrong. */
export function assertSingleSelect(sql: string): string {
  const shape = skeleton(sql).trim().replace(/;\s*$/, '');
  if (shape.includes(';')) throw new Error('custom query must be a single statement (found more than one)');
  if (!/^(select|with)\b/i.test(shape)) throw new Error('custom query must be a SELECT (or WITH … SELECT)');
  const write = WRITE_KEYWORDS.exec(shape);
  if (write) throw new Error(`custom query must only read: "${write[1]!.toUpperCase()}" is not allowed`);
  return sql.trim().replace(/;\s*$/, '');
}

/**
 * The query with comments removed and literals and quoted identifiers blanked, or null when that depends
 * on the dialect: a backslash inside quotes (an escape in MySQL and in Postgres E'' strings, a plain
 * character elsewhere), a dollar sign (Postgres dollar quotes), a # (a MySQL comment), nested or
 * unterminated comments and quotes.
 */
function portableShape(sql: string): string | null {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '$' || c === '#' || c === '\\') return null;
    if (c === '-' && next === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      out += ' ';
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0 || sql.slice(i + 2, end).includes('/*')) return null;
      i = end + 2;
      out += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (;;) {
        if (j >= sql.length || sql[j] === '\\') return null;
        if (sql[j] === c) {
          if (sql[j + 1] === c) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      out += ' q ';
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/**
 * The dialect-neutral check of a custom query (see the top of this file): one statement, starting with
 * SELECT, WITH, VALUES or a parenthesis. Throws an Error saying what is wrong.
 */
export function checkQueryShape(sql: string): void {
  const shape = portableShape(sql);
  if (shape === null) return;
  const body = shape.trim().replace(/;\s*$/, '');
  if (body.includes(';')) throw new Error('custom query must be a single statement (found more than one)');
  if (!/^(\(|(select|with|values)\b)/i.test(body)) throw new Error('custom query must be a SELECT (or WITH … SELECT)');
}
