/**
 * CPU accounting for the bench: the CPU seconds each process on the machine used between two snapshots,
 * grouped by role (the worker, this bench's Temporal server, this bench's Postgres backends by database,
 * everything else, which on a shared machine includes other people's work), from /proc. Only children of
 * this bench's postmaster count as its Postgres: another cluster's backends (another bench running at the
 * same time, with the same database names) are "other".
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

export type CpuSnapshot = Map<number, { role: string; ticks: number }>;

export interface Pids {
  worker: number;
  temporal: number;
  /** This bench's Postgres server (its backends are its children). */
  postmaster: number;
}

function roleOf(pid: number, ppid: number, pids: Pids, cmdline: string): string {
  if (pid === pids.worker) return 'worker';
  if (pid === pids.temporal) return 'temporal';
  if (pid === process.pid) return 'bench';
  if (pid === pids.postmaster) return 'pg:background';
  if (ppid !== pids.postmaster) return 'other';
  const m = /^postgres: \S+ (\S+) /.exec(cmdline);
  if (m) return `pg:${m[1]}`;
  if (cmdline.startsWith('postgres: ')) return 'pg:background';
  return 'other';
}

/** A process's parent and its CPU so far in ticks (utime + stime), from /proc/<pid>/stat. Throws if it is gone. */
function procStat(pid: number): { ppid: number; ticks: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces and parentheses): state is [0], ppid [1].
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** CPU seconds one process has used so far. */
export const cpuSecondsOf = (pid: number): number => procStat(pid).ticks / TICKS_PER_SECOND;

export function cpuSnapshot(pids: Pids): CpuSnapshot {
  const snap: CpuSnapshot = new Map();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const { ppid, ticks } = procStat(pid);
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      snap.set(pid, { role: roleOf(pid, ppid, pids, cmdline), ticks });
    } catch {
      // the process ended meanwhile
    }
  }
  return snap;
}

/** CPU seconds per role between two snapshots (processes that started meanwhile count from zero). */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [pid, a] of after) {
    const b = before.get(pid);
    const ticks = a.ticks - (b && b.role === a.role ? b.ticks : 0);
    if (ticks > 0) out[a.role] = (out[a.role] ?? 0) + ticks / TICKS_PER_SECOND;
  }
  return out;
}
