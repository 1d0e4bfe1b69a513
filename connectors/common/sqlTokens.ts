/**
 * A tokenizer for the SQL dialects of the warehouse sources, driven by each dialect's quoting and comment
 * rules. It only has to find where literals, quoted identifiers and comments begin and end exactly as the
 * server does, so that a `;`, a parenthesis or a keyword is never read inside a string (or missed outside
 * one). Anything whose extent the server could read differently is refused rather than guessed.
 */

export interface SqlDialect {
  /** The connector's kind, for messages. */
  kind: string;
  /** Whether a backslash escapes the next character in '…' strings (and "…" strings where those are strings). */
  backslashEscapes: boolean;
  /** Whether "…" is a string (MySQL without ANSI_QUOTES) rather than a quoted identifier. */
  doubleQuotedStrings: boolean;
  /** Whether a backslash escapes the next character inside quoted identifiers (ClickHouse). */
  backslashInIdentifiers: boolean;
  /** Whether `…` quotes an identifier. */
  backtickIdentifiers: boolean;
  /** Whether `#` starts a comment to the end of the line. */
  hashComments: boolean;
  /** Whether `--` starts a comment only when followed by whitespace or the end (MySQL); otherwise always. */
  dashCommentNeedsSpace: boolean;
  /** Whether `//` starts a comment to the end of the line (Snowflake). */
  slashSlashComments: boolean;
  /** Whether $$…$$ is a string (Snowflake). */
  dollarStrings: boolean;
  /**
   * Whether `/*!` (and MariaDB's `/*M!`) comments are code the server runs: such a comment is refused, since
   * what it does depends on the server's version.
   */
  executableComments: boolean;
}

export type TokenKind = 'word' | 'string' | 'identifier' | 'number' | 'symbol';

export interface SqlToken {
  kind: TokenKind;
  /** The token's text as written (for a quoted identifier or string, with its quotes). */
  text: string;
  /** Offset in the query. */
  at: number;
}

/** A query the tokenizer refuses: unterminated quotes or comments, or code hidden in comments. */
export class SqlShapeError extends Error {}

const isWordStart = (c: string) => /[A-Za-z_\u0080-\uffff]/.test(c);
const isWordPart = (c: string) => /[A-Za-z0-9_$\u0080-\uffff]/.test(c);

/** End (exclusive) of a quoted run starting at `i` with quote `q`; a doubled quote stands for one. */
function quotedEnd(sql: string, i: number, q: string, backslash: boolean, what: string): number {
  let j = i + 1;
  for (;;) {
    if (j >= sql.length) throw new SqlShapeError(`unterminated ${what} starting at offset ${i}`);
    const c = sql[j]!;
    if (backslash && c === '\\') {
      j += 2;
      continue;
    }
    if (c === q) {
      if (sql[j + 1] === q) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
}

export function tokenize(sql: string, d: SqlDialect): SqlToken[] {
  const tokens: SqlToken[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1] ?? '';
    if (/\s/.test(c)) {
      i++;
    } else if (
      (c === '-' &&
        next === '-' &&
        (!d.dashCommentNeedsSpace || i + 2 >= sql.length || /[\s\x00-\x1f]/.test(sql[i + 2]!))) ||
      (c === '#' && d.hashComments) ||
      (c === '/' && next === '/' && d.slashSlashComments)
    ) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '/' && next === '*') {
      if (d.executableComments && (sql[i + 2] === '!' || (sql[i + 2] === 'M' && sql[i + 3] === '!'))) {
        throw new SqlShapeError(
          `"${sql.slice(i, i + 4)}" comments are run by the server as code; write the SQL without them`,
        );
      }
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new SqlShapeError(`unterminated /* comment starting at offset ${i}`);
      // Some servers nest block comments and some do not: an inner /* would be read differently by each.
      if (sql.slice(i + 2, end).includes('/*')) throw new SqlShapeError(`nested /* comment at offset ${i}`);
      i = end + 2;
    } else if (c === "'" || (c === '"' && d.doubleQuotedStrings)) {
      const end = quotedEnd(sql, i, c, d.backslashEscapes, 'string literal');
      tokens.push({ kind: 'string', text: sql.slice(i, end), at: i });
      i = end;
    } else if (c === '"' || (c === '`' && d.backtickIdentifiers)) {
      const end = quotedEnd(sql, i, c, d.backslashInIdentifiers, 'quoted identifier');
      tokens.push({ kind: 'identifier', text: sql.slice(i, end), at: i });
      i = end;
    } else if (c === '$' && next === '$' && d.dollarStrings) {
      const end = sql.indexOf('$$', i + 2);
      if (end < 0) throw new SqlShapeError(`unterminated $$ string starting at offset ${i}`);
      tokens.push({ kind: 'string', text: sql.slice(i, end + 2), at: i });
      i = end + 2;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(next))) {
      let j = i + 1;
      while (j < sql.length && /[0-9A-Za-z_.]/.test(sql[j]!)) j++;
      tokens.push({ kind: 'number', text: sql.slice(i, j), at: i });
      i = j;
    } else if (isWordStart(c)) {
      let j = i + 1;
      while (j < sql.length && isWordPart(sql[j]!)) j++;
      tokens.push({ kind: 'word', text: sql.slice(i, j), at: i });
      i = j;
    } else {
      tokens.push({ kind: 'symbol', text: c, at: i });
      i++;
    }
  }
  return tokens;
}

/**
 * The checks every dialect shares: one statement (a single trailing `;` allowed), which starts with SELECT or
 * WITH (after any opening parentheses), with balanced parentheses so that it cannot close the subquery the
 * connector wraps it in. Returns the tokens without the trailing `;`, and the query text without it.
 */
export function singleQuery(sql: string, d: SqlDialect): { tokens: SqlToken[]; text: string } {
  let tokens = tokenize(sql, d);
  let text = sql;
  const last = tokens[tokens.length - 1];
  if (last?.kind === 'symbol' && last.text === ';') {
    tokens = tokens.slice(0, -1);
    text = sql.slice(0, last.at);
  }
  const semi = tokens.find((t) => t.kind === 'symbol' && t.text === ';');
  if (semi) throw new SqlShapeError(`a second statement follows the ";" at offset ${semi.at}; give one SELECT`);
  const first = tokens.find((t) => !(t.kind === 'symbol' && t.text === '('));
  if (!first || first.kind !== 'word' || !/^(select|with)$/i.test(first.text)) {
    throw new SqlShapeError(`it must be a SELECT (or WITH … SELECT), not "${first ? first.text : '(empty)'}"`);
  }
  let depth = 0;
  for (const t of tokens) {
    if (t.kind !== 'symbol') continue;
    if (t.text === '(') depth++;
    else if (t.text === ')' && --depth < 0)
      throw new SqlShapeError(`the ")" at offset ${t.at} closes a parenthesis the query did not open`);
  }
  if (depth > 0) throw new SqlShapeError('a "(" is not closed');
  return { tokens, text };
}
