/**
 * Heartbeats from activities that are also called directly (tests, the bench, the API's dry run), where
 * there is no activity context: there they do nothing.
 */
import { Context } from '@temporalio/activity';

function currentContext(): Context | null {
  try {
    return Context.current();
  } catch {
    return null; // not inside an activity
  }
}

export function heartbeat(details?: unknown): void {
  currentContext()?.heartbeat(details);
}

/**
 * Heartbeats on a timer while a long call (a count over a big table, a metadata query) runs, so the
 * activity can use a short heartbeat timeout: a killed worker is noticed in seconds whatever it was doing.
 */
export async function keepAlive<T>(work: () => Promise<T>, everyMs = 5_000): Promise<T> {
  const context = currentContext();
  if (!context) return work();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
