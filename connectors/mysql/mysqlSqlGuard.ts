/**
 * Custom SQL for MySQL / MariaDB: one SELECT read with the server's own quoting rules (backslash escapes in
 * strings unless NO_BACKSLASH_ESCAPES, "…" a string unless ANSI_QUOTES, backtick identifiers, `#` and `-- `
 * comments). The READ ONLY transaction stops writes to tables; this check stops what a read-only SELECT can
 * still do: write files or variables (INTO), take row locks (FOR UPDATE, FOR SHARE, LOCK IN SHARE MODE), run
 * a procedure over the result, or hide version-dependent code in `/*! … *\/` comments.
 */
import { singleQuery, type SqlDialect, SqlShapeError } from '../common/sqlTokens';

/** The session's sql_mode flags that change how a query is tokenized. */
export interface MysqlSqlMode {
  noBackslashEscapes: boolean;
  ansiQuotes: boolean;
}

export const sqlModeOf = (sqlMode: string): MysqlSqlMode => {
  const flags = new Set(sqlMode.toUpperCase().split(','));
  return {
    noBackslashEscapes: flags.has('NO_BACKSLASH_ESCAPES'),
    ansiQuotes: flags.has('ANSI_QUOTES') || flags.has('ANSI'),
  };
};

export const mysqlDialect = (mode: MysqlSqlMode): SqlDialect => ({
  kind: 'mysql',
  backslashEscapes: !mode.noBackslashEscapes,
  doubleQuotedStrings: !mode.ansiQuotes,
  backslashInIdentifiers: false,
  backtickIdentifiers: true,
  hashComments: true,
  dashCommentNeedsSpace: true,
  slashSlashComments: false,
  dollarStrings: false,
  executableComments: true,
});

/** A plain numeric literal; anything else that starts with a digit is an identifier to MySQL. */
const NUMBER = /^(\d+\.?\d*(e\d*)?|\.\d+(e\d*)?|0x[0-9a-f]+|0b[01]+)$/i;

/**
 * Returns the query to wrap (without a trailing `;`), or throws SqlShapeError saying what is refused.
 * Every refused word is reserved in MySQL and MariaDB, so as a column or table name it must be quoted, and a
 * quoted name is never refused.
 */
export function checkMysqlQuery(sql: string, mode: MysqlSqlMode): string {
  const { tokens, text } = singleQuery(sql, mysqlDialect(mode));
  const words = tokens.map((t) => (t.kind === 'word' ? t.text.toUpperCase() : ''));
  tokens.forEach((t, i) => {
    if (t.kind === 'number' && !NUMBER.test(t.text)) {
      throw new SqlShapeError(`quote the name ${t.text} with backticks (a name that starts with a digit is ambiguous)`);
    }
    const w = words[i]!;
    const next = words[i + 1] ?? '';
    if (w === 'INTO') throw new SqlShapeError('SELECT … INTO writes files or variables; remove INTO');
    if (w === 'FOR' && (next === 'UPDATE' || next === 'SHARE'))
      throw new SqlShapeError(`FOR ${next} locks rows; remove it`);
    if (w === 'LOCK' && next === 'IN') throw new SqlShapeError('LOCK IN SHARE MODE locks rows; remove it');
    if (w === 'PROCEDURE') throw new SqlShapeError('SELECT … PROCEDURE runs a procedure; remove it');
  });
  return text.trim();
}
