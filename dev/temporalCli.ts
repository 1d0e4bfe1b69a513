/**
 * Finds the Temporal CLI (dev server with SQLite and the Web UI), or builds it from the Go module proxy.
 * Order: $TEMPORAL_CLI, `temporal` on PATH, the Go bin folder, the project's cache; else `go install`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
const CACHE_DIR = path.join(os.homedir(), '.cache', 'tributary', 'bin');

function works(bin: string): boolean {
  const r = spawnSync(bin, ['--version'], { stdio: 'pipe', timeout: 30_000 });
  return r.status === 0 && /Server 1\.\d+/.test(r.stdout?.toString() ?? '');
}

function onPath(): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'temporal');
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
}

function goBin(): string | null {
  try {
    const gobin = execFileSync('go', ['env', 'GOBIN']).toString().trim();
    const gopath = execFileSync('go', ['env', 'GOPATH']).toString().trim().split(path.delimiter)[0] ?? '';
    return gobin || path.join(gopath, 'bin');
  } catch {
    return null;
  }
}

export function findTemporalCli(log: (m: string) => void = () => undefined): string {
  const gb = goBin();
  const candidates = [
    process.env.TEMPORAL_CLI,
    onPath(),
    gb ? path.join(gb, 'temporal') : undefined,
    path.join(CACHE_DIR, 'temporal'),
  ].filter((c): c is string => !!c && existsSync(c));
  for (const c of candidates) if (works(c)) return c;

  log(`temporal CLI not found; building ${TEMPORAL_CLI_MODULE} with go install (a few minutes, once)`);
  mkdirSync(CACHE_DIR, { recursive: true });
  const r = spawnSync('go', ['install', TEMPORAL_CLI_MODULE], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: CACHE_DIR },
  });
  const built = path.join(CACHE_DIR, 'temporal');
  if (r.status !== 0 || !existsSync(built)) {
    throw new Error(
      `could not build the Temporal CLI: 'go install ${TEMPORAL_CLI_MODULE}' exited ${r.status}; install Go 1.24+ or set TEMPORAL_CLI`,
    );
  }
  return built;
}
