/**
 * CPU accounting for the bench: the CPU seconds each of this bench's processes used while it runs, by
 * role: the worker (or a peer loader), this bench's Temporal server, this bench's Postgres backends by
 * database, the cluster's own background processes, the bench process itself, and everything else on the
 * machine (which on a shared machine includes other people's work), from /proc.
 *
 * Backends come and go during a run (the pool closes idle ones, autovacuum workers are short-lived), and
 * an exited process is gone from /proc. So the meter samples the postmaster's children often, keeping each
 * one's last reading, and also reads the postmaster's cutime + cstime, which counts every child it has
 * reaped: what reaped children used that no sample saw (between a backend's last sample and its exit, or a
 * backend that lived less than one interval) is reported as `pg:exited-unsampled`, so the total stays exact.
 * Only children of this bench's postmaster count as its Postgres: another cluster's backends (another bench
 * running at the same time, with the same database names) are "other".
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;
const SAMPLE_MS = 100;

interface Stat {
  ppid: number;
  /** utime + stime of the process itself. */
  ticks: number;
  /** cutime + cstime: children it has waited for. */
  childTicks: number;
}

/** A process's parent and its CPU so far in ticks, from /proc/<pid>/stat. Throws if it is gone. */
function procStat(pid: number): Stat {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces and parentheses): state is [0], ppid [1].
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), childTicks: Number(f[13]) + Number(f[14]) };
}

const tryStat = (pid: number): Stat | null => {
  try {
    return procStat(pid);
  } catch {
    return null;
  }
};

/** CPU seconds one process has used so far. */
export const cpuSecondsOf = (pid: number): number => procStat(pid).ticks / TICKS_PER_SECOND;

/** CPU ticks one process and its reaped children have used so far (0 once it is gone). */
const ownAndReaped = (pid: number): number => {
  const s = tryStat(pid);
  return s ? s.ticks + s.childTicks : 0;
};

/** Busy ticks of the whole machine (all CPUs) so far, from /proc/stat. */
function machineBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal …
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  return v[0]! + v[1]! + v[2]! + v[5]! + v[6]! + v[7]!;
}

export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** `postgres: <user> <database> <client address> <state>` is a backend; anything else is the cluster's own. */
function pgRole(pid: number): string {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return 'pg:background';
  }
  const m = /^postgres: \S+ (\S+) (?:\S+\(\d+\)|\[local\])/.exec(cmdline);
  if (m) return `pg:${m[1]}`;
  if (cmdline.startsWith('postgres: autovacuum')) return 'pg:autovacuum';
  return 'pg:background';
}

export interface Pids {
  /** The loader under test (the worker, or a peer's process); omitted when it reports its own CPU. */
  worker?: number;
  temporal?: number;
  /** A source server that is not this cluster's Postgres (clickhouse-server). */
  source?: number;
  /** This bench's Postgres server (its backends are its children). */
  postmaster: number;
}

interface Child {
  role: string;
  /** Ticks at the meter's start (0 for a process that started later). */
  base: number;
  last: number;
}

/** CPU seconds by role between start() and stop(). */
export type CpuSplit = Record<string, number>;

export class CpuMeter {
  private readonly children = new Map<number, Child>();
  private timer: NodeJS.Timeout | undefined;
  private base = { postmaster: 0, reaped: 0, worker: 0, temporal: 0, source: 0, machine: 0, bench: process.cpuUsage() };

  constructor(private readonly pids: Pids) {}

  start(): this {
    const pm = procStat(this.pids.postmaster);
    this.base = {
      postmaster: pm.ticks,
      reaped: pm.childTicks,
      worker: this.pids.worker ? ownAndReaped(this.pids.worker) : 0,
      temporal: this.pids.temporal ? ownAndReaped(this.pids.temporal) : 0,
      source: this.pids.source ? ownAndReaped(this.pids.source) : 0,
      machine: machineBusyTicks(),
      bench: process.cpuUsage(),
    };
    this.sample(true);
    this.timer = setInterval(() => this.sample(false), SAMPLE_MS);
    this.timer.unref();
    return this;
  }

  private sample(initial: boolean): Set<number> {
    const alive = new Set<number>();
    for (const pid of childrenOf(this.pids.postmaster)) {
      const s = tryStat(pid);
      if (!s || s.ppid !== this.pids.postmaster) continue;
      alive.add(pid);
      const known = this.children.get(pid);
      if (known) {
        known.last = s.ticks;
        // A backend names its database only once it has authenticated: read again until it does.
        if (known.role === 'pg:background' || known.role === 'pg:autovacuum') known.role = pgRole(pid);
      } else {
        this.children.set(pid, { role: pgRole(pid), base: initial ? s.ticks : 0, last: s.ticks });
      }
    }
    return alive;
  }

  stop(): CpuSplit {
    clearInterval(this.timer);
    const alive = this.sample(false);
    const pm = procStat(this.pids.postmaster);
    const out: CpuSplit = {};
    const add = (role: string, ticks: number) => {
      if (ticks > 0) out[role] = (out[role] ?? 0) + ticks / TICKS_PER_SECOND;
    };
    // Reaped children's whole lives are in the postmaster's cutime: those alive at the start count from their base.
    let reapedDuring = pm.childTicks - this.base.reaped;
    for (const [pid, c] of this.children) {
      add(c.role, c.last - c.base);
      if (!alive.has(pid)) reapedDuring -= c.last;
    }
    add('pg:exited-unsampled', reapedDuring);
    add('pg:background', pm.ticks - this.base.postmaster);
    if (this.pids.worker) add('worker', ownAndReaped(this.pids.worker) - this.base.worker);
    if (this.pids.temporal) add('temporal', ownAndReaped(this.pids.temporal) - this.base.temporal);
    if (this.pids.source) add('source', ownAndReaped(this.pids.source) - this.base.source);
    const bench = process.cpuUsage(this.base.bench);
    add('bench', ((bench.user + bench.system) / 1e6) * TICKS_PER_SECOND);
    const ours = Object.values(out).reduce((t, v) => t + v, 0) * TICKS_PER_SECOND;
    add('other', machineBusyTicks() - this.base.machine - ours);
    return out;
  }
}

/** The per-row split the bench prints: worker, store and source backends, Temporal, the rest of Postgres. */
export function cpuPerRow(
  split: CpuSplit,
  rows: number,
  dbs: { store: string; source: string },
  loader = 'worker',
): {
  fields: string;
  totalUs: number;
} {
  const us = (s: number) => (s * 1e6) / rows;
  const store = split[`pg:${dbs.store}`] ?? 0;
  const source = split[`pg:${dbs.source}`] ?? split.source ?? 0;
  const loaderCpu = split[loader] ?? 0;
  const temporal = split.temporal ?? 0;
  let pgOther = 0;
  for (const [role, v] of Object.entries(split)) {
    if (role.startsWith('pg:') && role !== `pg:${dbs.store}` && role !== `pg:${dbs.source}`) pgOther += v;
  }
  const total = loaderCpu + store + source + temporal + pgOther;
  return {
    totalUs: us(total),
    fields:
      `cpu_us_per_row=${us(total).toFixed(1)} cpu_loader_us=${us(loaderCpu).toFixed(1)} cpu_store_us=${us(store).toFixed(1)}` +
      ` cpu_source_us=${us(source).toFixed(1)} cpu_temporal_us=${us(temporal).toFixed(1)} cpu_pg_other_us=${us(pgOther).toFixed(1)}`,
  };
}

/** This process's child whose command line contains `text` (a server it started), if any. */
export function childProcessMatching(text: string): number | undefined {
  for (const pid of childrenOf(process.pid)) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) return pid;
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}
