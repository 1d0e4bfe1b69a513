/**
 * Deadlines on the API's calls to Temporal. Without one, a gRPC call waits for ever on a Temporal that
 * accepts connections but does not answer (or retries for long on one that refuses them), and so does the
 * request that made it. Views (GET /imports, a run's live progress) answer without Temporal's part when
 * the deadline passes; lifecycle actions answer 503 instead of acting on a state they could not read.
 */
import { type Client, isGrpcServiceError } from '@temporalio/client';
import { HttpProblem } from './problems';

/** gRPC status codes (grpc.status), named here so the API needs no direct @grpc/grpc-js dependency. */
const grpcStatus = { DEADLINE_EXCEEDED: 4, UNAVAILABLE: 14 } as const;

export interface TemporalDeadlines {
  /** How long a view (a list or one import, a run's progress) waits for Temporal before answering without it. */
  viewMs: number;
  /** How long a lifecycle action waits for Temporal to read the state it acts on, before answering 503. */
  actionMs: number;
}

export const DEFAULT_DEADLINES: TemporalDeadlines = { viewMs: 3000, actionMs: 10_000 };

/** Temporal did not answer before the deadline. */
export class TemporalDeadlineError extends Error {
  constructor(readonly ms: number) {
    super(`Temporal did not answer within ${ms} ms`);
    this.name = 'TemporalDeadlineError';
  }
}

/**
 * Run `fn`'s Temporal calls under a gRPC deadline (so they are cancelled, not left waiting), and stop
 * waiting at the deadline whatever `fn` is doing (the client's retries, a store query between calls):
 * past it this rejects with TemporalDeadlineError. `deadline` is a point in time (ms since the epoch),
 * so several calls of one request can share it.
 */
export async function beforeDeadline<T>(temporal: Client, deadline: number, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const left = Math.max(0, deadline - Date.now());
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TemporalDeadlineError(left)), left);
  });
  try {
    return await Promise.race([
      temporal.withDeadline(deadline, fn).catch((err: unknown) => {
        throw isGrpcCode(err, grpcStatus.DEADLINE_EXCEEDED) ? new TemporalDeadlineError(left) : err;
      }),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether Temporal was out of reach: past the deadline, or the connection unavailable. */
export function isTemporalUnreachable(err: unknown): boolean {
  return (
    err instanceof TemporalDeadlineError ||
    isGrpcCode(err, grpcStatus.DEADLINE_EXCEEDED) ||
    isGrpcCode(err, grpcStatus.UNAVAILABLE)
  );
}

/** The 503 a lifecycle action answers when Temporal is out of reach: nothing was done. */
export function temporalUnavailable(err: unknown): HttpProblem {
  const why =
    err instanceof TemporalDeadlineError
      ? err.message
      : isGrpcCode(err, grpcStatus.UNAVAILABLE)
        ? 'Temporal is unavailable (gRPC UNAVAILABLE)'
        : 'Temporal did not answer in time (gRPC DEADLINE_EXCEEDED)';
  return new HttpProblem(
    503,
    `${why}; nothing was changed, try again when Temporal answers`,
    undefined,
    'temporal-unavailable',
  );
}

/**
 * For a lifecycle action: read the state it acts on from Temporal under the action deadline; out of
 * reach is a 503 (before anything was changed), other errors pass through.
 */
export async function readForAction<T>(
  temporal: Client,
  deadlines: TemporalDeadlines,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await beforeDeadline(temporal, Date.now() + deadlines.actionMs, fn);
  } catch (err) {
    throw isTemporalUnreachable(err) ? temporalUnavailable(err) : err;
  }
}

function isGrpcCode(err: unknown, code: number): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e) && e.code === code) return true;
  }
  return false;
}
