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

/**
 * A loopback port nothing listens on, that stays so: below the kernel's ephemeral range, which is where
 * freePort() and every server a test starts take theirs, so no other test can take it meanwhile (a port
 * freePort() returned, unbound again, could be). Checked by a refused connection.
 */
export async function refusingPort(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
    });
    if (refused) return port;
  }
  throw new Error('no loopback port between 20000 and 30000 refuses connections');
}

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
