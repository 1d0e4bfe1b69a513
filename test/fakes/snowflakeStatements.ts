/**
 * For the Snowflake fake: how Snowflake splits a request's SQL into statements, so the fake can apply
 * MULTI_STATEMENT_COUNT as Snowflake does (statement, session or account parameter; default 1; 0 means any
 * number; otherwise the count must match or the request fails with 000008). Snowflake lexing: '…' strings
 * with backslash escapes and doubled quotes, $$…$$ strings, "…" identifiers, --, // and /* *\/ comments.
 * Each statement's strings are rewritten as standard Postgres literals.
 */

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  '0': '\0',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

export function snowflakeStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1] ?? '';
    if ((c === '-' && next === '-') || (c === '/' && next === '/')) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
      current += ' ';
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new Error('SQL compilation error: unterminated comment');
      i = end + 2;
      current += ' ';
    } else if (c === "'") {
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= sql.length) throw new Error('SQL compilation error: unterminated string');
        const d = sql[j]!;
        if (d === '\\') {
          text += ESCAPES[sql[j + 1] ?? ''] ?? sql[j + 1] ?? '';
          j += 2;
        } else if (d === "'" && sql[j + 1] === "'") {
          text += "'";
          j += 2;
        } else if (d === "'") {
          break;
        } else {
          text += d;
          j++;
        }
      }
      current += literal(text);
      i = j + 1;
    } else if (c === '$' && next === '$') {
      const end = sql.indexOf('$$', i + 2);
      if (end < 0) throw new Error('SQL compilation error: unterminated $$ string');
      current += literal(sql.slice(i + 2, end));
      i = end + 2;
    } else if (c === '"') {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === '"' && sql[j + 1] !== '"')) j += sql[j] === '"' ? 2 : 1;
      if (j >= sql.length) throw new Error('SQL compilation error: unterminated identifier');
      current += sql.slice(i, j + 1);
      i = j + 1;
    } else if (c === ';') {
      statements.push(current);
      current = '';
      i++;
    } else {
      current += c;
      i++;
    }
  }
  statements.push(current);
  return statements.map((s) => s.trim()).filter((s) => s !== '');
}
