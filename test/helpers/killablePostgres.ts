/**
 * A Postgres of the test's own (not the shared cluster), to crash and start again on the same port and
 * data folder: the postmaster is killed with SIGKILL, and its children after it, as a crashed host would
 * leave them; the next start replays the WAL.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '../../store/embeddedPostgres';
import { freePort, tempDir } from './servers';
import { sleep } from './wait';

export interface KillablePostgres {
  url(database: string): string;
  /** SIGKILL the postmaster and every process it started; resolves once all are gone. */
  crash(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Running, not a zombie waiting for a parent to reap it (a container's init may never do so). */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

/** The pids whose parent is `ppid` (from /proc; Linux). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The command name is in parentheses and may hold spaces: the fields after it are split safely.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) out.push(Number(name));
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

export async function startKillablePostgres(): Promise<KillablePostgres> {
  const dir = path.join(tempDir('killable-pg'), 'pg');
  const port = await freePort();
  const settings = { fsync: 'off', shared_buffers: '64MB', max_wal_size: '1GB' };
  let handle: EmbeddedPostgresHandle | null = await startEmbeddedPostgres({ dir, port, settings });
  const url = handle.url; // the same port, user and password after every start
  return {
    url,
    async crash() {
      const pid = Number(readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      const children = childrenOf(pid);
      process.kill(pid, 'SIGKILL');
      for (const child of children) {
        try {
          process.kill(child, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      const deadline = Date.now() + 30_000;
      while ([pid, ...children].some(alive)) {
        if (Date.now() > deadline)
          throw new Error(
            `postgres processes still alive after SIGKILL: ${[pid, ...children].filter(alive).join(', ')}`,
          );
        await sleep(50);
      }
      handle = null;
    },
    async start() {
      handle = await startEmbeddedPostgres({ dir, port, settings });
    },
    async stop() {
      await handle?.stop();
      handle = null;
    },
  };
}
