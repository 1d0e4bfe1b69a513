/**
 * Schemathesis (a property-based HTTP API fuzzer, from PyPI) for test/api/schemathesis.test.ts: its
 * pinned venv comes from scripts/schemathesis-venv.sh (which .ci/run calls before the tests), and a
 * missing or broken one fails the test loudly instead of skipping it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../scripts/schemathesis-venv.sh', import.meta.url));

/** The `st` executable, installing the venv on first use. */
export function schemathesisBin(): string {
  let out: string;
  try {
    out = execFileSync('bash', [SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(
      `Schemathesis could not be installed by ${path.relative(process.cwd(), SCRIPT)} (python3 -m venv, then pip install ` +
        `from PyPI): ${e.stderr?.trim() || e.message}. This test needs it; .ci/run runs the script before the tests.`,
    );
  }
  const bin = out.trim().split('\n').at(-1) ?? '';
  if (!existsSync(bin)) throw new Error(`${SCRIPT} printed "${bin}", which does not exist`);
  return bin;
}

export interface StRun {
  code: number | null;
  /** stdout and stderr, interleaved. */
  output: string;
}

/** Run `st` with `args`; resolves when it exits (or is killed at `timeoutMs`). */
export function runSchemathesis(
  bin: string,
  args: string[],
  options: { cwd: string; timeoutMs: number },
): Promise<StRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => {
      output += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      output += b.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
