/**
 * `--peer dlt`: a tuned dlt pipeline (bench/dlt/peer.py) loading the events scenario's very source rows
 * into another database of the same cluster (bench_dlt), in the same run, measured the same way: wall time
 * of the load, CPU by process (the peer's own, the destination's and the source's backends), peak RSS.
 *
 * The pinned versions are installed into a Python venv kept in the bench's cache folder (reused across
 * runs; a venv per set of pins). A pin that cannot be installed here is tried once; its pip error is printed
 * and the nearest installable version taken instead, and the bench line then names what was installed.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { CpuMeter, type CpuSplit } from './cpu';

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));

export const DLT_PINS: readonly [string, string][] = [
  ['dlt[postgres,parquet,sql_database]', '1.31.0'],
  ['connectorx', '0.4.6'],
  ['pyarrow', '26.0.1'],
  ['adbc-driver-postgresql', '1.13.0'],
  ['adbc-driver-manager', '1.13.0'],
  ['psycopg2-binary', ''],
  ['SQLAlchemy', ''],
];
const PYTHON = process.env.BENCH_PYTHON ?? 'python3.11';
const DLT_DB = 'bench_dlt';

/** The bench's folder for what outlives a run (the venv): TRIBUTARY_BENCH_CACHE or ~/.cache/tributary/bench. */
export const benchCacheDir = (): string =>
  process.env.TRIBUTARY_BENCH_CACHE ?? path.join(os.homedir(), '.cache', 'tributary', 'bench');

const spec = ([name, version]: readonly [string, string]): string => (version ? `${name}==${version}` : name);
const bare = (name: string): string => name.replace(/\[.*\]$/, '');

export interface Venv {
  python: string;
  /** Installed versions of the pinned packages, and what differs from the pins. */
  versions: Record<string, string>;
  substitutions: string[];
}

async function pip(python: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const r = await run(python, ['-m', 'pip', '--disable-pip-version-check', 'install', ...args], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return { ok: true, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stderr ?? ''}${e.stdout ?? ''}` || e.message };
  }
}

export async function ensureDltVenv(log: (line: string) => void): Promise<Venv> {
  const key = createHash('sha256')
    .update(JSON.stringify([PYTHON, DLT_PINS]))
    .digest('hex')
    .slice(0, 12);
  const dir = path.join(benchCacheDir(), `dlt-venv-${key}`);
  const python = path.join(dir, 'bin', 'python');
  const manifest = path.join(dir, 'bench-installed.json');
  if (existsSync(manifest)) return { python, ...(JSON.parse(readFileSync(manifest, 'utf8')) as Omit<Venv, 'python'>) };

  mkdirSync(benchCacheDir(), { recursive: true });
  log(`[dlt] creating a venv in ${dir} (${PYTHON}) and installing ${DLT_PINS.map(spec).join(' ')}`);
  await run(PYTHON, ['-m', 'venv', '--clear', dir]);
  const substitutions: string[] = [];
  const all = await pip(python, DLT_PINS.map(spec));
  if (!all.ok) {
    // One pin at a time, so the error names the pin that is not installable; that one gets the nearest version pip finds.
    for (const pin of DLT_PINS) {
      const one = await pip(python, [spec(pin)]);
      if (one.ok) continue;
      const error =
        one.output
          .split('\n')
          .filter((l) => /ERROR/.test(l))
          .join(' | ') || one.output.slice(-400);
      log(`[dlt] pip could not install ${spec(pin)}: ${error}`);
      const nearest = await pip(python, [`${pin[0]}~=${pin[1].split('.').slice(0, 2).join('.')}`]);
      if (!nearest.ok) {
        const latest = await pip(python, [pin[0]]);
        if (!latest.ok) throw new Error(`[dlt] cannot install ${pin[0]} at all: ${latest.output.slice(-400)}`);
      }
      substitutions.push(`${spec(pin)} not installable (${error})`);
    }
  }
  const frozen = (await run(python, ['-m', 'pip', 'list', '--format=json'])).stdout;
  const installed = new Map(
    (JSON.parse(frozen) as { name: string; version: string }[]).map((p) => [p.name.toLowerCase(), p.version]),
  );
  const versions: Record<string, string> = {};
  for (const pin of DLT_PINS) {
    const name = bare(pin[0]);
    const got = installed.get(name.toLowerCase()) ?? 'missing';
    versions[name] = got;
    if (pin[1] && got !== pin[1] && !substitutions.some((s) => s.startsWith(spec(pin))))
      substitutions.push(`${spec(pin)}: installed ${got}`);
  }
  const info = { versions, substitutions };
  writeFileSync(manifest, JSON.stringify(info, null, 2));
  log(
    `[dlt] installed ${Object.entries(versions)
      .map(([n, v]) => `${n} ${v}`)
      .join(', ')}`,
  );
  return { python, ...info };
}

export interface PeerResult {
  seconds: number;
  peakRssMb: number;
  cpu: CpuSplit;
  rowsInDestination: number;
  /** Formats of the files dlt loaded (parquet, as configured; anything else means it fell back). */
  loadedFormats: string[];
  versions: Record<string, string>;
  substitutions: string[];
}

/** Load `table` of sourceUrl's database into bench_dlt with the tuned dlt pipeline. */
export async function runDltPeer(ctx: {
  adminUrl: string;
  sourceUrl: string;
  table: string;
  dataDir: string;
  postmasterPid: number;
  log: (line: string) => void;
}): Promise<PeerResult> {
  const venv = await ensureDltVenv(ctx.log);
  const admin = new pg.Client({ connectionString: ctx.adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${DLT_DB} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${DLT_DB}`);
  } finally {
    await admin.end();
  }
  const toDb = (database: string) => {
    const u = new URL(ctx.adminUrl);
    u.pathname = `/${database}`;
    return u.toString().replace(/^postgres:/, 'postgresql:');
  };
  // SQLAlchemy (which dlt reflects the table with) takes a plain postgresql:// to mean psycopg 3; the pins have psycopg2.
  const sourceUrl = new URL(ctx.sourceUrl).toString().replace(/^postgres:/, 'postgresql+psycopg2:');
  const pipelinesDir = path.join(ctx.dataDir, 'dlt-pipelines');
  mkdirSync(pipelinesDir, { recursive: true });

  const meter = new CpuMeter({ postmaster: ctx.postmasterPid }).start();
  const child = spawn(
    venv.python,
    [path.join(HERE, 'dlt', 'peer.py'), sourceUrl, toDb(DLT_DB), ctx.table, pipelinesDir],
    {
      env: {
        ...process.env,
        RUNTIME__DLTHUB_TELEMETRY: 'false',
        RUNTIME__LOG_LEVEL: 'WARNING',
        DLT_DATA_DIR: path.join(ctx.dataDir, 'dlt-data'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString();
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const cpu = meter.stop();
  if (code !== 0) throw new Error(`[dlt] peer.py exited with ${code}:\n${err.slice(-4000)}`);
  const last = out.trim().split('\n').pop() ?? '';
  const report = JSON.parse(last) as {
    seconds: number;
    cpu_self_s: number;
    cpu_children_s: number;
    peak_rss_mb: number;
    loaded_formats: string[];
  };
  cpu.peer = report.cpu_self_s + report.cpu_children_s;

  const dest = new pg.Client({ connectionString: toDb(DLT_DB) });
  await dest.connect();
  let rowsInDestination: number;
  try {
    rowsInDestination = Number(
      (await dest.query(`SELECT count(*) AS n FROM bench_dlt.${pg.escapeIdentifier(ctx.table)}`)).rows[0].n,
    );
  } finally {
    await dest.end();
  }
  return {
    seconds: report.seconds,
    loadedFormats: report.loaded_formats,
    peakRssMb: report.peak_rss_mb,
    cpu,
    rowsInDestination,
    versions: venv.versions,
    substitutions: venv.substitutions,
  };
}
