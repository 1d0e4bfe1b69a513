/**
 * Positions: how far each stream of an import has committed (the incremental import is stream '', a
 * backfill partition, a file or a snapshot run has its own). Every statement on `positions` is here,
 * because together they keep these invariants:
 * - one writer per stream: a batch holds its stream's row FOR UPDATE for its whole transaction, and so does
 *   whatever must not interleave with one (a snapshot run's end, a backfill's hand-over, a purge);
 * - the position moves with the data: movePosition takes the batch's own transaction (the caller holds the
 *   row's lock), so the rows loaded up to a position and the position commit, or vanish, together;
 * - creating a position never moves one: created ON CONFLICT DO NOTHING, so a retried begin keeps what
 *   batches have committed since.
 */
import type pg from 'pg';
import type { Position } from '../connectors/source';

type Db = pg.Pool | pg.ClientBase;

/** The incremental import's stream. */
export const INCREMENTAL_STREAM = '';

/** A position row's values as stored; both null before the stream's first batch (or after a reset). */
export interface StoredPosition {
  cursor: string | null;
  key: string | null;
}

/** A stored position as the exclusive start a batch reads after; null from the start of the source. */
const startOf = (cursor: string | null, key: string | null): Position | null =>
  // movePosition always writes both, so a committed cursor comes with its key.
  cursor === null ? null : { cursor, key: key as string };

/** Creates the stream's position row, starting after `after` (null: from the start), unless it exists. */
export async function createPosition(
  client: pg.ClientBase,
  importId: string,
  stream: string,
  after: Position | null = null,
): Promise<void> {
  await client.query(
    'INSERT INTO positions (import_id, stream, cursor_value, key_value) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
    [importId, stream, after?.cursor ?? null, after?.key ?? null],
  );
}

/**
 * Locks the position of a run's stream for the caller's transaction: the one-writer lock a batch takes
 * first, and a run's end takes to wait out a batch still committing. Null when the stream has no row (a
 * snapshot run's position goes with the run's end).
 */
export async function lockRunPosition(
  client: pg.ClientBase,
  importId: string,
  runId: number,
): Promise<{ stream: string; after: Position | null } | null> {
  const res = await client.query(
    `SELECT p.cursor_value, p.key_value, p.stream FROM positions p
     JOIN runs r ON r.import_id = p.import_id AND r.stream = p.stream
     WHERE r.id = $2 AND p.import_id = $1 FOR UPDATE OF p`,
    [importId, runId],
  );
  const r = res.rows[0];
  return r ? { stream: r.stream as string, after: startOf(r.cursor_value, r.key_value) } : null;
}

/** Locks one stream's position (which must exist) for the caller's transaction, and reads it. */
export async function lockStreamPosition(
  client: pg.ClientBase,
  importId: string,
  stream: string,
): Promise<Position | null> {
  const res = await client.query(
    'SELECT cursor_value, key_value FROM positions WHERE import_id = $1 AND stream = $2 FOR UPDATE',
    [importId, stream],
  );
  return startOf(res.rows[0].cursor_value, res.rows[0].key_value);
}

/** Locks every stream of an import: no batch of it is mid-commit while the caller's transaction lasts. */
export async function lockImportPositions(client: pg.ClientBase, importId: string): Promise<void> {
  await client.query('SELECT 1 FROM positions WHERE import_id = $1 FOR UPDATE', [importId]);
}

/** Moves a stream's position, inside the transaction that holds its lock and loaded the rows up to it. */
export async function movePosition(
  client: pg.ClientBase,
  importId: string,
  stream: string,
  to: Position,
): Promise<void> {
  await client.query(
    'UPDATE positions SET cursor_value = $2, key_value = $3, updated_at = now() WHERE import_id = $1 AND stream = $4',
    [importId, to.cursor, to.key, stream],
  );
}

/** A stream's committed position, unlocked (what the API shows, where a dry run starts). */
export async function readPosition(
  db: Db,
  importId: string,
  stream: string = INCREMENTAL_STREAM,
): Promise<StoredPosition> {
  const res = await db.query('SELECT cursor_value, key_value FROM positions WHERE import_id = $1 AND stream = $2', [
    importId,
    stream,
  ]);
  return { cursor: res.rows[0]?.cursor_value ?? null, key: res.rows[0]?.key_value ?? null };
}

/** A stream's committed position as the start a batch would read after; null from the start. */
export async function readStart(
  db: Db,
  importId: string,
  stream: string = INCREMENTAL_STREAM,
): Promise<Position | null> {
  const p = await readPosition(db, importId, stream);
  return startOf(p.cursor, p.key);
}

/**
 * Sends the incremental import back to the start of its source (its next run reads everything). Under the
 * position's row lock, so a batch that is committing finishes first.
 */
export async function resetPosition(db: Db, importId: string): Promise<void> {
  await db.query(
    'UPDATE positions SET cursor_value = NULL, key_value = NULL, updated_at = now() WHERE import_id = $1 AND stream = $2',
    [importId, INCREMENTAL_STREAM],
  );
}

/**
 * Drops a stream that served one run (a snapshot run's), unless a batch still holds it: a stopped run's
 * batch may (cancellation reaches it at its next heartbeat), and then the row stays rather than hold up the
 * run's end; that batch finds the run ended and loads nothing.
 */
export async function dropPositionUnlessHeld(client: pg.ClientBase, importId: string, stream: string): Promise<void> {
  await client.query(
    `DELETE FROM positions WHERE ctid IN (
       SELECT ctid FROM positions WHERE import_id = $1 AND stream = $2 FOR UPDATE SKIP LOCKED)`,
    [importId, stream],
  );
}
