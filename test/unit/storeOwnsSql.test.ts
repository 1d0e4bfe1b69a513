/**
 * The store owns its SQL: the shell (API routes, activities, workflows, client, plugin) and the engine call
 * store/ modules' named functions, which document the invariants they keep, and hold no statement on the
 * store themselves. The engine's batch path keeps the statements on its own staging table (a temp table of
 * the batch's transaction). Every advisory lock id is declared in store/locks.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ADVISORY_LOCKS } from '../../store/locks';

const ROOT = path.resolve(__dirname, '../..');
const SHELL_AND_ENGINE = [
  'api',
  'activities',
  'workflows',
  'client',
  'plugin',
  'bin',
  'engine',
  'worker.ts',
  'index.ts',
];
/** The batch path's statements on its own stage table (CREATE TEMP TABLE stage, TRUNCATE, COPY into it). */
const STAGE_TABLE_FILES = new Set(['engine/loadBatch.ts', 'engine/chunkBuffers.ts']);

function tsFiles(rel: string): string[] {
  const abs = path.join(ROOT, rel);
  if (statSync(abs).isFile()) return rel.endsWith('.ts') ? [rel] : [];
  return readdirSync(abs).flatMap((name) => tsFiles(path.join(rel, name)));
}

/**
 * `.query(` calls that are not Temporal queries. A Temporal query is sent with its definition, a value named
 * `…Query` (progressQuery, backfillProgressQuery); anything else passed to `.query(` is a statement.
 */
function statementCalls(source: string): string[] {
  const calls: string[] = [];
  for (const m of source.matchAll(/\.query\s*(?:<[^>]*>)?\(\s*([^,)\n]*)/g)) {
    if (/^[A-Za-z_$][\w$]*Query$/.test(m[1]!.trim())) continue;
    calls.push(m[0]);
  }
  return calls;
}

it('the API, the activities, the workflows and the engine send no statement to the store themselves', () => {
  const offenders: string[] = [];
  for (const file of SHELL_AND_ENGINE.flatMap(tsFiles)) {
    if (STAGE_TABLE_FILES.has(file)) continue;
    for (const call of statementCalls(readFileSync(path.join(ROOT, file), 'utf8'))) offenders.push(`${file}: ${call}`);
  }
  expect(offenders).toEqual([]);
});

it('tells a statement from a Temporal query', () => {
  expect(
    statementCalls("await store.query('SELECT 1'); await client.query(sql, [id]); x.query<{ n: number }>(`SELECT`)"),
  ).toHaveLength(3);
  expect(statementCalls('await handle.query(progressQuery); getHandle(id).query(backfillProgressQuery)')).toEqual([]);
});

it('every advisory lock id is declared once, in store/locks.ts', () => {
  const ids = Object.values(ADVISORY_LOCKS);
  expect(new Set(ids).size).toBe(ids.length);
  const literal: string[] = [];
  for (const file of [...['store', 'scripts', 'connectors'].flatMap(tsFiles), ...SHELL_AND_ENGINE.flatMap(tsFiles)]) {
    if (file === 'store/locks.ts') continue;
    const source = readFileSync(path.join(ROOT, file), 'utf8');
    // A lock taken on anything but a parameter ($1, bound to a store/locks.ts constant): a literal id or a hashed text.
    for (const m of source.matchAll(/pg_(?:try_)?advisory_(?:xact_)?(?:un)?lock(?:_shared)?\(\s*([^)]*)\)/g)) {
      if (!/^\$\d+$/.test(m[1]!.trim())) literal.push(`${file}: ${m[0]}`);
    }
    for (const id of ids) if (new RegExp(`\\b${id}\\b`).test(source)) literal.push(`${file}: ${id}`);
  }
  expect(literal).toEqual([]);
});
