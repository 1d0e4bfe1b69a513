/**
 * Schemathesis fuzzes the API from its own OpenAPI document (/openapi.json), against the real API with a
 * real store, Temporal and worker: no response may be a server error, and every response must have a
 * status, media type and body the document declares for its operation, and a method a path lacks must be
 * a 405 whose Allow header lists the methods the document has for it. Bounded, with a fixed seed: the
 * coverage phase's boundary cases (valid and invalid; valid only for the two import-spec bodies), then
 * 15 random requests per operation.
 *
 * The fuzzer stores connections to hosts of its own invention and asks the API to reach them: the process
 * lets sockets reach loopback only (helpers/loopbackOnly.ts), so nothing leaves the machine and an
 * invented host is refused at once. Operations that read a source answer 503 for those, by contract.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ApiHarness, createApiHarness, waitFor } from '../helpers/apiHarness';
import { installLoopbackOnly, type LoopbackGuard } from '../helpers/loopbackOnly';
import { runSchemathesis, schemathesisBin } from '../helpers/schemathesis';

/** Operations that read a source, which answer 503 when it is out of reach. */
const SOURCE_READERS = [
  'POST /imports',
  'POST /imports/dry-run',
  'POST /imports/{id}/dry-run',
  'GET /connections/{id}/schema',
  'POST /connections/{id}/discover',
  'POST /connections/{id}/preview',
];
/** Operations that read the fixtures (connection and import `fx`, its first run) rather than random ids. */
const ON_FIXTURES: [string, Record<string, string | number>][] = [
  ['GET /connections/{id}', { id: 'fx' }],
  ['GET /connections/{id}/schema', { id: 'fx' }],
  ['POST /connections/{id}/preview', { id: 'fx' }],
  ['POST /connections/{id}/test', { id: 'fx' }],
  ['GET /imports/{id}', { id: 'fx' }],
  ['GET /imports/{id}/runs', { id: 'fx' }],
  ['GET /imports/{id}/runs/{runId}', { id: 'fx' }],
  ['GET /imports/{id}/runs/{runId}/errors', { id: 'fx' }],
  ['GET /imports/{id}/runs/{runId}/errors.csv', { id: 'fx' }],
  ['POST /imports/{id}/dry-run', { id: 'fx' }],
  ['GET /imports/{id}/backfills', { id: 'fx' }],
];

let guard: LoopbackGuard;
let t: ApiHarness;
let dir: string;
let runId: number;

beforeAll(async () => {
  guard = installLoopbackOnly();
  dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-schemathesis-'));
  t = await createApiHarness('fuzz');
  await t.h.source
    .query(`CREATE TABLE people AS SELECT g AS id, 'p' || g AS email, CASE WHEN g = 3 THEN '' ELSE 'name ' || g END AS name,
    timestamptz '2026-01-01' + g * interval '1 second' AS updated_at FROM generate_series(1, 20) g`);
  expect(
    (await t.req('POST', '/connections', { body: { id: 'fx', name: 'fixture', url: t.h.sourceUrl } })).status,
  ).toBe(201);
  const create = await t.req('POST', '/imports', {
    body: {
      id: 'fx',
      name: 'fixture',
      dataType: 'profile',
      source: { connection: 'fx', table: 'people' },
      cursor: { column: 'updated_at', key: 'id' },
      mapping: { userId: { column: 'email' }, attributes: [{ column: 'name' }] },
      identifiers: { trim: true },
      runNow: true,
    },
  });
  expect(create.status, create.text).toBe(201);
  const runs = await waitFor(
    'the fixture run',
    async () => (await t.req('GET', '/imports/fx/runs')).body.items as { runId: number; status: string }[],
    (items) => items.length === 1 && items[0]!.status !== 'running',
    120_000,
  );
  runId = runs[0]!.runId;
}, 600_000);

afterAll(async () => {
  await t?.close();
  guard?.uninstall();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * The import spec's bodies are large: every invalid variant of each of their fields would be thousands of
 * coverage cases, so their coverage phase sends the valid boundary values only (fuzzing sends invalid ones).
 */
const LARGE_BODIES = ['POST /imports', 'POST /imports/dry-run'];

/** schemathesis.toml: 503 allowed where a source is read; fixture ids where an operation reads one. */
function config(coverageMode: 'all' | 'positive'): string {
  const lines: string[] = [];
  lines.push('[phases.coverage.generation]', `mode = "${coverageMode}"`, '');
  for (const op of SOURCE_READERS) {
    lines.push(
      '[[operations]]',
      `include-name = "${op}"`,
      'checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "503"]',
      '',
    );
  }
  for (const [op, params] of ON_FIXTURES) {
    const values = { ...params, ...(op.includes('{runId}') ? { runId } : {}) };
    lines.push(
      '[[operations]]',
      `include-name = "${op}"`,
      `parameters = { ${Object.entries(values)
        .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
        .join(', ')} }`,
      '',
    );
  }
  return lines.join('\n');
}

interface Completed {
  method: string;
  url: string;
  status: number;
}

/** Every request the API completed, from its log: method and URL ("incoming request"), status ("request completed"). */
function completedRequests(logs: string[]): Completed[] {
  const started = new Map<string, { method: string; url: string }>();
  const out: Completed[] = [];
  for (const line of logs.join('').split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as {
      reqId?: string;
      msg?: string;
      req?: { method: string; url: string };
      res?: { statusCode: number };
    };
    if (!entry.reqId) continue;
    if (entry.msg === 'incoming request' && entry.req) started.set(entry.reqId, entry.req);
    if (entry.msg === 'request completed' && entry.res) {
      const req = started.get(entry.reqId);
      if (req) out.push({ method: req.method, url: req.url, status: entry.res.statusCode });
    }
  }
  return out;
}

it('Schemathesis finds no server error and no response the OpenAPI document does not declare', async () => {
  const st = schemathesisBin();
  const doc = (await t.req('GET', '/openapi.json', { token: null })).body as {
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  };
  const logsBefore = t.logs.length;
  const started = Date.now();
  const runs = [];
  for (const [mode, selection] of [
    ['all', LARGE_BODIES.flatMap((op) => ['--exclude-name', op])],
    ['positive', LARGE_BODIES.flatMap((op) => ['--include-name', op])],
  ] as const) {
    writeFileSync(path.join(dir, `schemathesis-${mode}.toml`), config(mode));
    runs.push(
      await runSchemathesis(
        st,
        [
          '--config-file',
          path.join(dir, `schemathesis-${mode}.toml`),
          'run',
          `${t.url}/openapi.json`,
          ...selection,
          '-H',
          `Authorization: Bearer ${t.writeToken}`,
          '--checks',
          'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,unsupported_method,allow_header_conformance',
          '--phases',
          'coverage,fuzzing',
          '--max-examples',
          '15',
          '--seed',
          '20261205',
          '--workers',
          '2',
          '--request-timeout',
          '30',
          '--generation-database',
          'none',
          '--no-color',
        ],
        { cwd: dir, timeoutMs: 300_000 },
      ),
    );
  }
  const seconds = Math.round((Date.now() - started) / 1000);

  // The requests the API answered during the run, by status, and each against the document.
  const requests = completedRequests(t.logs.slice(logsBefore));
  const byStatus = new Map<number, number>();
  for (const r of requests) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
  const operations = Object.entries(doc.paths).map(([p, item]) => ({
    pattern: new RegExp(`^${p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}/g, '[^/]+')}$`),
    item,
  }));
  const undeclared: string[] = [];
  for (const r of requests) {
    const urlPath = r.url.split('?')[0]!;
    if (urlPath === '/openapi.json') continue; // the fuzzer reading the document
    // As the router does: a static path without the method falls through to a parameterized one with it.
    const op = operations
      .filter((o) => o.pattern.test(urlPath))
      .map((o) => o.item[r.method.toLowerCase()])
      .find(Boolean);
    // A method the path does not have is 405 (an unknown path 404), which no operation declares.
    if (!op) {
      if (r.status !== 405 && r.status !== 404)
        undeclared.push(`${r.method} ${urlPath} → ${r.status} (no such operation)`);
    } else if (!(String(r.status) in op.responses)) undeclared.push(`${r.method} ${urlPath} → ${r.status}`);
  }
  const summary = runs.map((run) =>
    run.output
      .split('\n')
      .filter((l) => /generated|passed|failures?|errors?|Seed|Phases|Coverage|Fuzzing/.test(l))
      .join('\n'),
  );
  console.log(
    `schemathesis: exit ${runs.map((r) => r.code).join(', ')} in ${seconds} s, ${requests.length} requests; by status: ` +
      [...byStatus]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s} ×${n}`)
        .join(', ') +
      `\nsockets refused (not loopback): ${guard.refused.length}\n${summary.join('\n')}`,
  );

  for (const run of runs) {
    expect(run.code, run.output.slice(-8000)).toBe(0);
    expect(run.output).toMatch(/\d+ generated, \d+ passed/);
  }
  expect(undeclared, undeclared.slice(0, 20).join('\n')).toEqual([]);
  expect(byStatus.get(500) ?? 0).toBe(0);
  expect(requests.length).toBeGreaterThan(1000);
  // The fixtures were reached: successes and the documented failures both appear.
  expect(byStatus.get(200) ?? 0).toBeGreaterThan(0);
  expect(byStatus.get(400) ?? 0).toBeGreaterThan(0);
  // Methods a path lacks were tried, and answered 405 with Allow (checked by unsupported_method).
  expect(byStatus.get(405) ?? 0).toBeGreaterThan(0);
}, 600_000);
