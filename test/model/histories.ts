/**
 * Random source histories for the model-based test (fast-check arbitraries), one case per seed so any
 * case can be replayed alone. A history is a list of steps against one source table: inserts, updates,
 * late commits (a transaction held open through the next run), and runs (optionally with a worker kill,
 * or with a backfill beside them).
 */
import fc from 'fast-check';

export type DataType = 'profile' | 'profile-insert-only' | 'activity' | 'segments';

/**
 * How a written row's cursor is chosen: `next` moves the case's clock on 0-2 s (0 ties with the row
 * before), `tie` repeats the last cursor, `null` leaves it NULL, `future` is past the source's clock,
 * `now` is the source's clock at the write (inside the lag window of a run right after), `past` is at or
 * below the cursor the case has reached (a row committed behind rows already read).
 */
export type CursorKind = 'next' | 'tie' | 'null' | 'future' | 'now' | 'past';

export interface RowWrite {
  cursor: CursorKind;
  /** 0..1 of the way from the case's start to its clock, for `past`; seconds ahead, for `future`. */
  where: number;
  user: number;
  val: number;
  num: number;
  kind: number;
  at: number;
  seg: number;
  removed: boolean;
}

export type Step =
  | { t: 'insert'; rows: RowWrite[] }
  /** `row` picks an existing source row (modulo how many there are). */
  | { t: 'update'; row: number; write: RowWrite }
  /** Inserted in a transaction that stays open through the next run and commits after it. */
  | { t: 'late'; rows: RowWrite[] }
  | {
      t: 'run';
      /** Kill the worker with SIGKILL this many ms after the run starts (and start a new one). */
      killAfterMs: number | null;
      /** A backfill beside the run, up to (exclusive) this fraction of the way to the case's clock. */
      backfillTo: number | null;
    };

export interface History {
  seed: number;
  dataType: DataType;
  batchSize: number;
  lag: 0 | 1;
  steps: Step[];
}

export interface Features {
  kills: boolean;
  /** Whether a case of this data type may run a backfill beside its incremental import. */
  backfill: (dataType: DataType) => boolean;
}

const DATA_TYPES: DataType[] = ['profile', 'activity', 'segments', 'profile-insert-only'];

const rowWrite = (kinds: CursorKind[]): fc.Arbitrary<RowWrite> =>
  fc.record({
    cursor: fc.constantFrom(...kinds),
    where: fc.double({ min: 0, max: 1, noNaN: true }),
    user: fc.nat(3),
    val: fc.nat(2),
    num: fc.nat(2),
    kind: fc.nat(1),
    at: fc.nat(2),
    seg: fc.nat(2),
    removed: fc.boolean(),
  });

// `next` most often, so runs have rows to read; the rest in small doses.
const INSERT_KINDS: CursorKind[] = ['next', 'next', 'next', 'next', 'tie', 'tie', 'null', 'future', 'now', 'past'];
const UPDATE_KINDS: CursorKind[] = ['next', 'next', 'now', 'past', 'tie'];
const LATE_KINDS: CursorKind[] = ['past', 'next', 'now'];

/** The arbitrary of one case's history; data type and features follow from the seed, so a seed names a case. */
export function historyOf(seed: number, features: Features): fc.Arbitrary<History> {
  const dataType = DATA_TYPES[seed % DATA_TYPES.length]!;
  const kills = features.kills && seed % 3 === 1;
  // Kills and backfills in separate cases: a kill's restart delay would keep the backfill's race from happening.
  const backfill = features.backfill(dataType) && !kills && seed % 3 !== 1;
  const runStep = fc.record({
    t: fc.constant('run' as const),
    killAfterMs: kills ? fc.option(fc.integer({ min: 0, max: 1500 }), { freq: 2 }) : fc.constant(null),
    backfillTo: backfill ? fc.option(fc.double({ min: 0.3, max: 0.9, noNaN: true }), { freq: 2 }) : fc.constant(null),
  });
  const step: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        t: fc.constant('insert' as const),
        rows: fc.array(rowWrite(INSERT_KINDS), { minLength: 1, maxLength: 12 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ t: fc.constant('update' as const), row: fc.nat(1000), write: rowWrite(UPDATE_KINDS) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('late' as const),
        rows: fc.array(rowWrite(LATE_KINDS), { minLength: 1, maxLength: 3 }),
      }),
    },
    { weight: 3, arbitrary: runStep },
  );
  return fc
    .record({
      seed: fc.constant(seed),
      dataType: fc.constant(dataType),
      batchSize: fc.integer({ min: 1, max: 7 }),
      lag: fc.constantFrom(0 as const, 1 as const),
      // Always some rows first, and a plain run last so every late commit is committed and read.
      first: fc.array(rowWrite(['next', 'next', 'tie']), { minLength: 4, maxLength: 16 }),
      steps: fc.array(step, { minLength: 3, maxLength: 7 }),
      last: runStep,
    })
    .map(({ first, steps, last, ...rest }) => ({
      ...rest,
      steps: [
        { t: 'insert' as const, rows: first },
        ...steps,
        last,
        { t: 'run' as const, killAfterMs: null, backfillTo: null },
      ],
    }));
}

/** The history of a seed: fast-check's generator, seeded, one sample. */
export function historyForSeed(seed: number, features: Features): History {
  return fc.sample(historyOf(seed, features), { seed, numRuns: 1 })[0]!;
}
