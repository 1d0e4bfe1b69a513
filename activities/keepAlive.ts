/**
 * Heartbeats on a timer while a long call (a count over a big table, a metadata query) runs, so the
 * activity can use a short heartbeat timeout: a killed worker is noticed in seconds whatever it was doing.
 */
import { Context } from '@temporalio/activity';

export async function keepAlive<T>(work: () => Promise<T>, everyMs = 5_000): Promise<T> {
  let ctx: Context | null = null;
  try {
    ctx = Context.current();
  } catch {
    // Not inside an activity (a direct call from a test or a script): nothing to keep alive.
  }
  if (!ctx) return work();
  const context = ctx;
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
