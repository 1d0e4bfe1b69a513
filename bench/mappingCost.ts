/**
 * `npx tsx bench/mappingCost.ts [<checkout>…]`: the CPU the events scenario's mapping and in-chunk dedup
 * spend per row, without a source, a store or a worker: rows shaped like bench/scenarios.ts's events (as
 * Postgres prints them) are mapped in rounds, and the median and least CPU-µs per row of the rounds after
 * the warm-up are printed. Given checkouts (e.g. a worktree of an older commit and `.`), it measures each
 * in turn, twice, each in a process of its own: on a loaded machine that compares the mapping's cost far
 * more steadily than the whole bench does.
 */
import { spawnSync } from 'node:child_process';
import { hash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type Row = (string | null)[];
interface Mapped {
  ok: boolean;
  dedup?: string;
}
interface Mapping {
  columns: string[];
  map(row: Row, seq: number): Mapped;
}

const ROWS = 100_000;
const ROUNDS = 14;
const WARM_UP = 4;
const TYPES = [
  'page_view',
  'page_view',
  'page_view',
  'click',
  'add_to_cart',
  'checkout',
  'purchase',
  'search',
  'login',
  'signup',
];
const pick = <T>(xs: T[], n: number): T => xs[n % xs.length]!;
const uuid = (hex: string) =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

/** Event o's column values as Postgres prints them (the SQL generator in bench/scenarios.ts). */
function values(o: number): Record<string, string | null> {
  const at = new Date(Date.UTC(2025, 0, 1) + o * 7000).toISOString().slice(0, 19).replace('T', ' ');
  return {
    id: String(o),
    user_id: `user_${String((o * 7919) % Math.max(1_000, ROWS / 10)).padStart(8, '0')}`,
    event_type: pick(TYPES, o * 31),
    occurred_at: `${at}.${String(o % 997).padStart(6, '0')}+00`,
    updated_at: '2026-01-01 00:00:00+00',
    page_url: `https://shop.example.com/${pick(['products', 'category', 'cart', 'search', 'account'], o)}/${hash('md5', String(o)).slice(0, 14)}?utm_source=${pick(['newsletter', 'google', 'facebook', 'direct'], o)}`,
    amount: (o * 31) % 10 === 4 || (o * 31) % 10 === 6 ? (((o * 37) % 100000) / 100).toFixed(2) : null,
    is_mobile: o % 3 === 0 ? 't' : 'f',
    session_id: uuid(hash('md5', String(Math.floor(o / 20)))),
    context: `{"campaign":"${pick(['spring_sale', 'black_friday', 'retarget', 'none'], o)}","ab":{"variant":"${String.fromCharCode(65 + (o % 3))}","exp":${o % 50}},"items":${o % 7},"referrer":"https://ref${o % 100}.example.org/"}`,
  };
}

async function measure(dir: string): Promise<string> {
  const at = (file: string) => path.resolve(dir, file);
  const { compileMapping } = (await import(at('engine/compileMapping.ts'))) as {
    compileMapping(spec: unknown, hooks?: { firstUse?(user: string): boolean }): Mapping;
  };
  const { parseImportSpec } = (await import(at('domain/importSpec.ts'))) as { parseImportSpec(s: unknown): unknown };
  const { eventsScenario } = (await import(at('bench/scenarios.ts'))) as {
    eventsScenario: { spec(id: string, batchSize: number): unknown };
  };
  const { BatchDedup, BatchUsers } = (await import(at('engine/dedup.ts'))) as {
    BatchDedup: new () => { firstSighting(key: string): boolean; reset(): void };
    BatchUsers: new () => { firstUse(user: string): boolean };
  };
  const spec = parseImportSpec(eventsScenario.spec('bench', 200_000));
  const columns = compileMapping(spec).columns;
  const rows: Row[] = Array.from({ length: ROWS }, (_, k) => {
    const v = values(k + 1);
    return columns.map((c) => v[c] ?? null);
  });
  const perRow: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const users = new BatchUsers();
    const dedup = new BatchDedup();
    const m = compileMapping(spec, { firstUse: (u) => users.firstUse(u) });
    const start = process.cpuUsage();
    for (let k = 0; k < ROWS; k++) {
      const r = m.map(rows[k]!, k + 1);
      if (!r.ok || r.dedup === undefined) throw new Error(`row ${k + 1}: ${JSON.stringify(r)}`);
      dedup.firstSighting(r.dedup);
      if (k % 20_000 === 19_999) dedup.reset();
    }
    const used = process.cpuUsage(start);
    if (round >= WARM_UP) perRow.push((used.user + used.system) / ROWS);
  }
  perRow.sort((a, b) => a - b);
  const median = perRow[Math.floor(perRow.length / 2)]!;
  return `mapping: ${dir} cpu_us_per_row=${median.toFixed(2)} least=${perRow[0]!.toFixed(2)}`;
}

const args = process.argv.slice(2);
if (args[0] === '--one') process.stdout.write(`${await measure(args[1] ?? '.')}\n`);
else {
  // Each checkout in a process of its own: in one process, the one measured second ran slower.
  const dirs = args.length > 0 ? args : ['.'];
  for (let turn = 0; turn < 2; turn++) {
    for (const dir of dirs) {
      const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--one', dir], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      if (child.status !== 0) throw new Error(`mappingCost: ${dir} failed (${child.status ?? child.signal})`);
    }
  }
}
