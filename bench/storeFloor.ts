/**
 * The store floor of the events scenario: the rows already mapped, written into the real store tables as
 * the import writes them, with nothing else to do. Beside the raw floor (bytes moved with no meaning), this
 * is what storing these events costs: the `events` table with its per-user index and jsonb, the dedup
 * memory's upsert, the identities, one transaction per batch. The import can come near it but not pass it.
 *
 * The mapped rows are the ones the import just stored (read back in the order it wrote them, with their
 * dedup memory keys from the store's own event_memory_key), so this runs after the events scenario, into a
 * fresh database with the store's schema (bench_storefloor). They are prepared in memory first, then sent
 * batch by batch like the loader sends them: per batch a transaction, a staging table, and per chunk a COPY
 * of the keys (a user on its first row only), then loadBatch's own chunk step (mergeChunk: the events
 * loader's merge and a COPY of the events it did not name as duplicates, each row with its memory key,
 * from a savepoint). The far duplicates of the scenario (a row repeating an event
 * of an earlier batch) are staged again with that event's key, as the worker stages them; the near ones
 * (the row just before) never reach the store, as the worker drops them. `backends` connections load
 * contiguous slices of the batches at the same time, as a backfill's partitions do.
 */
import pg from 'pg';
import { once } from 'node:events';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { eventLoader } from '../dataTypes/activity/events';
import { activityType } from '../dataTypes/activity/activity';
import { stageTableColumns } from '../dataTypes/dataType';
import { mergeChunk } from '../engine/loadBatch';
import { migrate } from '../store/migrate';
import { ensureDatabase } from '../store/embeddedPostgres';
import { parseImportSpec } from '../domain/importSpec';
import { eventsScenario, farDuplicateOf, isNearDuplicate } from './scenarios';

export const STORE_FLOOR_DB = 'bench_storefloor';
/** As the loader's chunks: the first small, then doubling up to this many rows or about these many bytes. */
const FIRST_CHUNK_ROWS = 2_500;
const CHUNK_ROWS = 20_000;
const CHUNK_BYTES = 4 * 1024 * 1024;
const FLOOR_IMPORT = 'bench-store-floor';

interface Chunk {
  stage: Buffer;
  /** Each staged key's seq and the event line it stands for (a far duplicate: the line of the event it repeats). */
  seqs: number[];
  lines: Buffer[];
}

/** COPY `data` in with `sql`; the rows the store took. */
async function copyIn(client: pg.ClientBase, sql: string, data: Buffer | Buffer[]): Promise<number> {
  const copy = client.query(copyFrom(sql));
  const done = Promise.race([
    once(copy, 'finish'),
    once(copy, 'error').then(([e]) => {
      throw e as Error;
    }),
  ]);
  for (const part of Array.isArray(data) ? data : [data]) copy.write(part);
  copy.end();
  await done;
  return Number(copy.rowCount ?? 0);
}

const TAB = 9;
const NL = 10;
const TAB_BUF = Buffer.from('\t');
const NL_BUF = Buffer.from('\n');

/** Read the import's events back as they were written, and cut them into batches of chunks. */
async function prepare(storeUrl: string, importId: string, rows: number, batchSize: number): Promise<Chunk[][]> {
  const client = new pg.Client({ connectionString: storeUrl, application_name: 'bench-store-floor' });
  await client.connect();
  const parts: Buffer[] = [];
  try {
    const lit = (await client.query<{ l: string }>('SELECT quote_literal($1::text) AS l', [importId])).rows[0]!.l;
    const out = client.query(
      copyTo(
        `COPY (SELECT id_type, id_value, event_memory_key(id_type, id_value, dedup_key, occurred_at), event_type, occurred_at, properties, dedup_key
             FROM events WHERE import_id = ${lit} ORDER BY ctid) TO STDOUT`,
      ),
    );
    for await (const b of out) parts.push(b as Buffer);
  } finally {
    await client.end();
  }
  const all = Buffer.concat(parts);
  const prefix = Buffer.from(`${FLOOR_IMPORT}\t1\t`);

  const keys: Buffer[] = []; // memory key of the n-th stored event
  const eventLines: Buffer[] = []; // event line of the n-th stored event
  const eventOf = new Int32Array(rows + 1).fill(-1); // source row g → stored event index
  const seenUsers = new Set<string>();
  const batches: Chunk[][] = [];
  let at = 0;
  let stored = 0;
  let batch: Chunk[] = [];
  let chunk: Chunk = { stage: Buffer.alloc(0), seqs: [], lines: [] };
  let stageParts: Buffer[] = [];
  let chunkRows = 0;
  let chunkBytes = 0;
  let chunkLimit = FIRST_CHUNK_ROWS;
  let seq = 0;
  const flushChunk = () => {
    if (chunk.seqs.length > 0) {
      chunk.stage = Buffer.concat(stageParts);
      batch.push(chunk);
    }
    chunk = { stage: Buffer.alloc(0), seqs: [], lines: [] };
    stageParts = [];
    chunkRows = 0;
    chunkBytes = 0;
    chunkLimit = Math.min(chunkLimit * 2, CHUNK_ROWS);
  };
  for (let g = 1; g <= rows; g++) {
    seq++;
    chunkRows++;
    const far = farDuplicateOf(g);
    if (far !== null) {
      const key = keys[eventOf[far]!]!;
      stageParts.push(Buffer.from(`${seq}\t\\N\t\\N\t`), key, Buffer.from('\n'));
      chunk.seqs.push(seq);
      chunk.lines.push(eventLines[eventOf[far]!]!);
    } else if (!isNearDuplicate(g)) {
      const end = all.indexOf(NL, at);
      const line = all.subarray(at, end + 1);
      at = end + 1;
      const t1 = line.indexOf(TAB);
      const t2 = line.indexOf(TAB, t1 + 1);
      const t3 = line.indexOf(TAB, t2 + 1);
      const user = line.subarray(0, t2).toString();
      keys.push(line.subarray(t2 + 1, t3));
      eventOf[g] = stored++;
      const firstUse = !seenUsers.has(user);
      if (firstUse) seenUsers.add(user);
      stageParts.push(
        Buffer.from(`${seq}\t${firstUse ? user : '\\N\t\\N'}\t`),
        line.subarray(t2 + 1, t3),
        Buffer.from('\n'),
      );
      // The event's line ends with its memory key, as the worker writes it (the row is the key's memory).
      const event = Buffer.concat([
        prefix,
        line.subarray(0, t2 + 1),
        line.subarray(t3 + 1, line.length - 1),
        TAB_BUF,
        line.subarray(t2 + 1, t3),
        NL_BUF,
      ]);
      eventLines.push(event);
      chunk.seqs.push(seq);
      chunk.lines.push(event);
      chunkBytes += event.length + 60;
    }
    if (chunkRows >= chunkLimit || chunkBytes >= CHUNK_BYTES) flushChunk();
    if (g % batchSize === 0 || g === rows) {
      flushChunk();
      batches.push(batch);
      batch = [];
      chunkLimit = FIRST_CHUNK_ROWS;
      seq = 0;
    }
  }
  if (at !== all.length)
    throw new Error(
      `store floor: ${all.length - at} bytes of stored events left over; the events scenario's rows are not what it stored`,
    );
  return batches;
}

export interface StoreFloorResult {
  rows: number;
  seconds: number;
  backends: number;
  duplicates: number;
  created: number;
}

/**
 * Load the events scenario's mapped rows (as `importId` stored them in storeUrl's database) into a fresh
 * store database on `backends` connections, and time it.
 */
export async function measureEventsStoreFloor(ctx: {
  adminUrl: string;
  storeUrl: string;
  importId: string;
  rows: number;
  batchSize: number;
  backends: number;
}): Promise<StoreFloorResult> {
  const batches = await prepare(ctx.storeUrl, ctx.importId, ctx.rows, ctx.batchSize);
  const admin = new pg.Client({ connectionString: ctx.adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${STORE_FLOOR_DB} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  await ensureDatabase(ctx.adminUrl, STORE_FLOOR_DB);
  const u = new URL(ctx.adminUrl);
  u.pathname = `/${STORE_FLOOR_DB}`;
  const pool = new pg.Pool({
    connectionString: u.toString(),
    max: ctx.backends,
    application_name: 'bench-store-floor',
  });
  try {
    await migrate(pool);
    await pool.query('CHECKPOINT');
    const spec = parseImportSpec(eventsScenario.spec(FLOOR_IMPORT, ctx.batchSize));
    let duplicates = 0;
    let created = 0;
    const clients = await Promise.all(Array.from({ length: ctx.backends }, () => pool.connect()));
    const per = Math.ceil(batches.length / ctx.backends);
    const started = process.hrtime.bigint();
    try {
      await Promise.all(
        clients.map(async (client, i) => {
          for (const batch of batches.slice(i * per, (i + 1) * per)) {
            await client.query('BEGIN');
            await client.query("SET LOCAL work_mem = '64MB'");
            await client.query(
              `CREATE TEMP TABLE stage (seq integer, ${stageTableColumns(activityType.stage)}) ON COMMIT DROP`,
            );
            let first = true;
            for (const chunk of batch) {
              if (!first) await client.query('TRUNCATE stage');
              first = false;
              await copyIn(client, 'COPY stage FROM STDIN', chunk.stage);
              // The loader's own chunk step: the merge, then the COPY of the events it did not name as duplicates.
              const ends = new Int32Array(chunk.lines.length);
              let end = 0;
              chunk.lines.forEach((line, k) => {
                end += line.length;
                ends[k] = end;
              });
              const lines = { data: Buffer.concat(chunk.lines), seqs: Int32Array.from(chunk.seqs), ends };
              const merged = await mergeChunk(
                client,
                eventLoader,
                { client, spec, importId: FLOOR_IMPORT, runId: 1 },
                lines,
              );
              duplicates += merged.duplicates ?? 0;
              // Read `created` only after the await: the backends' loops run interleaved.
              const copied = merged.created ?? 0;
              created += copied;
            }
            await client.query('COMMIT');
          }
        }),
      );
    } finally {
      for (const c of clients) c.release();
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { rows: ctx.rows, seconds, backends: ctx.backends, duplicates, created };
  } finally {
    await pool.end();
  }
}
