/**
 * The real worker (worker.ts) as a child process, so tests can kill it with SIGKILL the way a crashed
 * machine would, and start it again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { testPolicyEnv } from './testPolicy';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything the worker printed, for failure messages. */
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * The environment of a worker process serving a test harness: its store, the shared Temporal dev server,
 * its task queue, plus the test's own connections (TRIBUTARY_CONNECTION_*) and settings.
 */
export function workerEnv(
  h: { storeUrl: string; taskQueue: string },
  extra: Record<string, string>,
): Record<string, string> {
  return {
    DATABASE_URL: h.storeUrl,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: 'default',
    TRIBUTARY_TASK_QUEUE: h.taskQueue,
    ...testPolicyEnv(),
    ...extra,
  };
}

/** Spawn `node --import tsx worker.ts` with the given environment and wait until it polls. */
export async function spawnWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('worker: polling')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) =>
      reject(new Error(`worker exited (${code ?? signal}) before polling:\n${out}`)),
    );
  });
  await ready;
  return {
    child,
    output: () => out,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}
