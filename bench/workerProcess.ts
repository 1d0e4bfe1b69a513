/**
 * The real worker (worker.ts) as a child process, so its memory can be read from /proc: `node --import tsx
 * worker.ts` spawned directly (no shell, no npm), so the pid is the node process that runs the activities.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKER_ENV } from '../worker';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The bench's sources are its own servers on loopback, and its Postgres source connects as the embedded
 * cluster's superuser: the operator policy refuses both by default, so the bench's worker allows them.
 */
const BENCH_POLICY_ENV = {
  TRIBUTARY_ALLOW_PRIVATE_HOSTS: '127.0.0.1/32,::1/128',
  TRIBUTARY_ALLOW_SUPERUSER_SOURCES: '1',
};

export interface BenchWorker {
  pid: number;
  /** Current and peak resident set of the worker, in MiB (from /proc/<pid>/status). */
  memory(): { rssMb: number; peakMb: number };
  /** The last lines the worker printed, for failure messages. */
  tail(): string;
  stop(): Promise<void>;
}

function statusKb(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]);
}

export async function spawnBenchWorker(options: {
  env: Record<string, string>;
  nodeArgs?: string[];
  /** The worker's entry file (default worker.ts), to compare worker configurations. */
  entry?: string;
  /** Forward the worker's output to this process's stderr. */
  verbose?: boolean;
}): Promise<BenchWorker> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      '--import',
      'tsx',
      ...(process.env.BENCH_WORKER_MEMORY ? ['--import', './bench/memorySampler.mjs'] : []),
      options.entry ?? 'worker.ts',
    ],
    {
      cwd: ROOT,
      env: { ...WORKER_ENV, ...process.env, ...BENCH_POLICY_ENV, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  let ready = false;
  const started = new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer) => {
      for (const line of b.toString().split('\n')) {
        if (!line) continue;
        lines.push(line);
        if (lines.length > 200) lines.shift();
        if (options.verbose || line.startsWith('worker-memory:')) process.stderr.write(`  [worker] ${line}\n`);
        if (!ready && line.includes('worker: polling')) {
          ready = true;
          resolve();
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      if (!ready) reject(new Error(`worker exited (${code ?? signal}) before polling:\n${lines.join('\n')}`));
    });
  });
  await started;
  const pid = child.pid!;
  return {
    pid,
    memory: () => ({ rssMb: statusKb(pid, 'VmRSS') / 1024, peakMb: statusKb(pid, 'VmHWM') / 1024 }),
    tail: () => lines.slice(-40).join('\n'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
