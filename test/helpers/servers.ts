/**
 * What the real-server helpers share: finding a binary (installed by .ci/run, never by the tests), a
 * private temp directory, waiting until a port answers, and stopping the process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export { freePort } from '../../dev/devServer';

/** The path of a server binary, or a loud error that says how to install it (tests must not skip in CI). */
export function findBinary(names: string[], aptPackage: string): string {
  const dirs = [
    ...(process.env.PATH ?? '').split(path.delimiter),
    '/usr/sbin',
    '/usr/bin',
    '/usr/local/sbin',
    '/usr/local/bin',
  ];
  for (const name of names) {
    for (const dir of dirs) {
      const p = path.join(dir, name);
      if (dir && existsSync(p)) return p;
    }
  }
  throw new Error(
    `${names[0]} was not found: these tests need a real server. Install it with ` +
      `\`apt-get update && apt-get install -y --no-install-recommends ${aptPackage}\` (.ci/run does this).`,
  );
}

export const tempDir = (prefix: string): string => mkdtempSync(path.join(os.tmpdir(), `tributary-${prefix}-`));

/** Resolves once `port` accepts connections; rejects if the process exits first or the time runs out. */
export async function waitForPort(
  port: number,
  child: ChildProcess,
  what: string,
  log: () => string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before listening:\n${log()}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms:\n${log()}`);
}

/** Spawn a server, keeping the tail of its output for failure messages. */
export function spawnServer(bin: string, args: string[], cwd: string): { child: ChildProcess; log: () => string } {
  const child = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, log: () => out };
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
