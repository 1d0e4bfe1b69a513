/**
 * A Postgres custom query is checked with Postgres's own parser (libpg-query), so strings, escapes,
 * dollar quotes and comments are read exactly as the server reads them: what it sees as one SELECT is one
 * SELECT. It must be a single plain SELECT (WITH, VALUES and set operations included) that cannot write
 * or lock: no data-modifying statement anywhere in it (a CTE's INSERT/UPDATE/DELETE/MERGE), no
 * SELECT … INTO, no FOR UPDATE/SHARE. Functions it calls are the READ ONLY transaction's to refuse.
 */
import { loadModule, parseSync } from 'libpg-query';

let loading: Promise<void> | null = null;
let loaded = false;

/** Load the parser's WASM module; call (and await) before assertPostgresSelect. Later calls are free. */
export function loadPostgresParser(): Promise<void> {
  loading ??= loadModule().then(() => {
    loaded = true;
  });
  return loading;
}

const WRITES: Record<string, string> = {
  InsertStmt: 'INSERT',
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  MergeStmt: 'MERGE',
};

interface RawStmt {
  stmt?: Record<string, unknown>;
  stmt_location?: number;
  stmt_len?: number;
}

/** The first thing in the tree that makes the query more than a read, described for the user. */
function forbidden(node: unknown): string | null {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = forbidden(item);
      if (found) return found;
    }
    return null;
  }
  if (node === null || typeof node !== 'object') return null;
  for (const [key, value] of Object.entries(node)) {
    if (key in WRITES) return `it contains ${WRITES[key]} (a data-modifying statement)`;
    if (key === 'intoClause') return 'SELECT … INTO creates a table';
    if (key === 'lockingClause') return 'FOR UPDATE/SHARE locks rows';
    const found = forbidden(value);
    if (found) return found;
  }
  return null;
}

/**
 * Returns the statement's own text (without a trailing semicolon or comments after it), or throws an Error
 * whose message says what is wrong.
 */
export function assertPostgresSelect(sql: string): string {
  if (!loaded) throw new Error('the Postgres SQL parser is not loaded (loadPostgresParser() must be awaited first)');
  let stmts: RawStmt[];
  try {
    stmts = (parseSync(sql) as { stmts?: RawStmt[] }).stmts ?? [];
  } catch (err) {
    const e = err as { message?: string; sqlDetails?: { cursorPosition?: number } };
    // The parser counts from 0; Postgres's own messages (and editors) count characters from 1.
    const at = e.sqlDetails?.cursorPosition;
    throw new Error(
      `custom query is not valid SQL: ${e.message ?? String(err)}${at !== undefined ? ` (at character ${at + 1})` : ''}`,
    );
  }
  if (stmts.length === 0) throw new Error('custom query is empty');
  if (stmts.length > 1) throw new Error(`custom query must be a single statement (found ${stmts.length})`);
  const raw = stmts[0]!;
  const kind = Object.keys(raw.stmt ?? {})[0] ?? 'unknown';
  if (kind !== 'SelectStmt') {
    const name = WRITES[kind] ?? kind.replace(/Stmt$/, '').toUpperCase();
    throw new Error(`custom query must be a SELECT (or WITH … SELECT); this is a ${name} statement`);
  }
  const reason = forbidden(raw.stmt);
  if (reason) throw new Error(`custom query must only read: ${reason}`);
  const start = raw.stmt_location ?? 0;
  return (
    raw.stmt_len === undefined || raw.stmt_len === 0 ? sql.slice(start) : sql.slice(start, start + raw.stmt_len)
  ).trim();
}

/** The tables and views a query names (CTE names too, which simply match no relation), schema-qualified as written. */
export function relationsNamedBy(sql: string): { schema: string | null; name: string }[] {
  if (!loaded) throw new Error('the Postgres SQL parser is not loaded (loadPostgresParser() must be awaited first)');
  const out: { schema: string | null; name: string }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'RangeVar' && value && typeof value === 'object') {
        const v = value as { schemaname?: string; relname?: string };
        if (v.relname) out.push({ schema: v.schemaname ?? null, name: v.relname });
      }
      walk(value);
    }
  };
  walk(parseSync(sql));
  return out;
}
