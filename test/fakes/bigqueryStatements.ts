/**
 * For the BigQuery fake: how BigQuery splits a job's SQL into statements and what `statementType` a dry run
 * reports for it (JobStatistics2.statementType: SELECT, INSERT, DELETE, …, SCRIPT for a multi-statement
 * script or a BEGIN … END block). GoogleSQL lexing: '…' "…" '''…''' """…""" strings with backslash escapes
 * (none in r-prefixed raw strings), `…` identifiers, # and -- line comments, /* … *\/ block comments.
 * Each statement is also rewritten for Postgres: strings become standard '…' literals.
 */

export interface BigQueryStatements {
  statementType: string;
  /** The statements, strings rewritten for Postgres, without their `;`. */
  statements: string[];
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '`': '`',
  '?': '?',
};

/** Throws an Error with BigQuery's kind of message for SQL it cannot read. */
export function bigqueryStatements(sql: string): BigQueryStatements {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1] ?? '';
    if (c === '#' || (c === '-' && next === '-')) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
      current += ' ';
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new Error('Syntax error: Unclosed comment');
      i = end + 2;
      current += ' ';
    } else if (c === "'" || c === '"') {
      const prefix = /[A-Za-z]*$/.exec(current)![0];
      const raw = /^(r|rb|br)$/i.test(prefix);
      if (/^(r|b|rb|br)$/i.test(prefix)) current = current.slice(0, -prefix.length);
      const quote = sql.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      let j = i + quote.length;
      let text = '';
      for (;;) {
        if (j >= sql.length) throw new Error('Syntax error: Unclosed string literal');
        if (sql.startsWith(quote, j)) break;
        if (sql[j] === '\\' && !raw) {
          text += ESCAPES[sql[j + 1] ?? ''] ?? sql[j + 1] ?? '';
          j += 2;
        } else if (sql[j] === '\\' && raw) {
          text += sql.slice(j, j + 2);
          j += 2;
        } else {
          if (quote.length === 1 && sql[j] === '\n') throw new Error('Syntax error: Unclosed string literal');
          text += sql[j];
          j++;
        }
      }
      current += `'${text.replace(/'/g, "''")}'`;
      i = j + quote.length;
    } else if (c === '`') {
      let j = i + 1;
      while (j < sql.length && sql[j] !== '`') j += sql[j] === '\\' ? 2 : 1;
      if (j >= sql.length) throw new Error('Syntax error: Unclosed identifier literal');
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
  const nonEmpty = statements.map((s) => s.trim()).filter((s) => s !== '');
  if (nonEmpty.length === 0) throw new Error('Syntax error: Unexpected end of script');
  const words = nonEmpty[0]!
    .replace(/^[\s(]+/, '')
    .split(/\s+/)
    .map((w) => w.toUpperCase());
  const first = words[0]!;
  const scriptStarts = [
    'BEGIN',
    'DECLARE',
    'SET',
    'IF',
    'LOOP',
    'WHILE',
    'REPEAT',
    'FOR',
    'EXECUTE',
    'RAISE',
    'RETURN',
  ];
  if (nonEmpty.length > 1 || scriptStarts.includes(first)) return { statementType: 'SCRIPT', statements: nonEmpty };
  const object = () =>
    words
      .slice(1)
      .find(
        (w) => !['OR', 'REPLACE', 'TEMP', 'TEMPORARY', 'IF', 'NOT', 'EXISTS', 'MATERIALIZED', 'EXTERNAL'].includes(w),
      ) ?? '';
  let statementType: string;
  if (first === 'SELECT' || first === 'WITH') statementType = 'SELECT';
  else if (['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'ASSERT', 'CALL'].includes(first)) statementType = first;
  else if (first === 'TRUNCATE') statementType = 'TRUNCATE_TABLE';
  else if (first === 'EXPORT') statementType = 'EXPORT_DATA';
  else if (first === 'LOAD') statementType = 'LOAD_DATA';
  else if (first === 'CREATE')
    statementType = object() === 'TABLE' && words.includes('AS') ? 'CREATE_TABLE_AS_SELECT' : `CREATE_${object()}`;
  else if (first === 'DROP' || first === 'ALTER') statementType = `${first}_${object()}`;
  else throw new Error(`Syntax error: Unexpected keyword ${first}`);
  return { statementType, statements: nonEmpty };
}
