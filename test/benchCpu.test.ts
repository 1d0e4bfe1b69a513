/**
 * The bench's CPU meter counts Postgres backends that exit while it runs: their CPU is gone from /proc
 * once the postmaster reaps them, and a meter reading /proc only at its start and end would miss it.
 * The expected figure comes from the kernel: the backend's own utime + stime, read just before it exits.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { CpuMeter } from '../bench/cpu';

const ticksOf = (pid: number): { ppid: number; ticks: number } => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
};
const gone = (pid: number): boolean => {
  try {
    readFileSync(`/proc/${pid}/stat`);
    return false;
  } catch {
    return true;
  }
};

async function backendPid(client: pg.Client): Promise<number> {
  return (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}

describe('bench CPU meter', () => {
  it('counts the CPU of backends that start and exit between its start and its stop', async () => {
    const url = inject('pgAdminUrl');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const postmaster = ticksOf(await backendPid(admin)).ppid;
      const meter = new CpuMeter({ postmaster }).start();
      let used = 0;
      // One backend long enough to be sampled, then several so short they may never be.
      for (const rows of [20_000_000, 300_000, 300_000, 300_000, 300_000]) {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        const pid = await backendPid(c);
        await c.query('SELECT sum(g) FROM generate_series(1, $1::bigint) g', [rows]);
        used += ticksOf(pid).ticks;
        await c.end();
        // Gone from /proc only once the postmaster has reaped it (and added it to its children's time).
        while (!gone(pid)) await new Promise((r) => setTimeout(r, 20));
      }
      const split = meter.stop();
      const backends = Object.entries(split)
        .filter(([role]) => role === 'pg:postgres' || role === 'pg:exited-unsampled')
        .reduce((t, [, v]) => t + v, 0);
      expect(used).toBeGreaterThan(0);
      expect(backends).toBeGreaterThanOrEqual(used / 100);
    } finally {
      await admin.end();
    }
  });
});
