/**
 * The real side of the model-based test: a history's writes against a real source table in Postgres
 * (late commits as transactions really held open through a run), and what the model needs back from it:
 * the committed rows when a run starts, in the model's terms (cursors in microseconds).
 */
import pg from 'pg';
import type { CursorKind, DataType, RowWrite } from './histories';
import type { SourceRow } from './reference';

const VALS = ['a', 'b', 'c'];
const KINDS = ['view', 'buy'];
const ATS = ['2026-01-01 00:00:00.000001+00', '2026-01-01 00:00:00.000002+00', '2026-03-01 12:00:00.5+00'];
const SEGS = ['gold', 'silver', 'bronze'];
const SECOND = 1_000_000n;

export class RealSource {
  private nextId = 1;
  private readonly ids: number[] = [];
  private held: pg.Client[] = [];
  /** The case's clock: the cursor `next` rows take, from an hour before the source's clock at the start. */
  private clock = 0n;
  private start = 0n;
  private last: bigint | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly sourceUrl: string,
    readonly table: string,
    private readonly tag: string,
  ) {}

  async create(): Promise<void> {
    await this.pool
      .query(`CREATE TABLE ${this.table} (id int PRIMARY KEY, uid text NOT NULL, val text NOT NULL, num int NOT NULL,
      kind text NOT NULL, at timestamptz NOT NULL, seg text NOT NULL, removed boolean NOT NULL, cur timestamptz)`);
    await this.pool.query(`CREATE INDEX ON ${this.table} (cur, id)`);
    const r = await this.pool.query<{ t: string }>(
      `SELECT (extract(epoch FROM date_trunc('second', clock_timestamp()) - interval '1 hour') * 1000000)::bigint::text AS t`,
    );
    this.start = BigInt(r.rows[0]!.t);
    this.clock = this.start;
  }

  /** The timestamptz text of a point on the case's clock, a fraction of the way from its start. */
  pointText(fraction: number): string {
    const us = this.start + BigInt(Math.floor(fraction * Number((this.clock - this.start) / SECOND))) * SECOND;
    return new Date(Number(us / 1000n)).toISOString();
  }

  /** SQL for a row's cursor and its parameter (null when the SQL needs none). */
  private cursorOf(kind: CursorKind, where: number): { sql: (p: string) => string; param: string | null } {
    const exact = (us: bigint) => {
      this.last = us;
      return {
        sql: (p: string) => `timestamptz 'epoch' + ${p}::bigint * interval '1 microsecond'`,
        param: us.toString(),
      };
    };
    switch (kind) {
      case 'next':
        this.clock += BigInt(Math.floor(where * 3)) * SECOND;
        return exact(this.clock);
      case 'tie':
        return exact(this.last ?? this.clock);
      case 'past':
        return exact(this.start + BigInt(Math.floor(where * Number((this.clock - this.start) / SECOND))) * SECOND);
      case 'null':
        return { sql: () => 'NULL', param: null };
      case 'now':
        return { sql: () => 'clock_timestamp()', param: null };
      case 'future':
        return {
          sql: (p) => `clock_timestamp() + ${p}::float8 * interval '1 second'`,
          param: String(1 + Math.floor(where * 30)),
        };
    }
  }

  private values(w: RowWrite, first: number): { sql: string; params: unknown[] } {
    const c = this.cursorOf(w.cursor, w.where);
    const params: unknown[] = [
      `${this.tag}-u${w.user}`,
      VALS[w.val],
      w.num,
      KINDS[w.kind],
      ATS[w.at],
      SEGS[w.seg],
      w.removed,
    ];
    const ph = params.map((_, i) => `$${first + i}`);
    if (c.param !== null) params.push(c.param);
    return { sql: `${ph.join(', ')}, ${c.sql(`$${first + ph.length}`)}`, params };
  }

  async insert(rows: RowWrite[], client: pg.Pool | pg.Client = this.pool): Promise<void> {
    for (const w of rows) {
      const id = this.nextId++;
      const v = this.values(w, 2);
      await client.query(
        `INSERT INTO ${this.table} (id, uid, val, num, kind, at, seg, removed, cur) VALUES ($1, ${v.sql})`,
        [id, ...v.params],
      );
      this.ids.push(id);
    }
  }

  async update(pick: number, w: RowWrite): Promise<void> {
    if (this.ids.length === 0) return;
    const id = this.ids[pick % this.ids.length]!;
    const v = this.values(w, 2);
    await this.pool.query(
      `UPDATE ${this.table} SET (uid, val, num, kind, at, seg, removed, cur) = (${v.sql}) WHERE id = $1`,
      [id, ...v.params],
    );
  }

  /** Rows inserted in a transaction left open until commitHeld: committed late, behind what runs read meanwhile. */
  async insertHeld(rows: RowWrite[]): Promise<void> {
    const client = new pg.Client({ connectionString: this.sourceUrl });
    await client.connect();
    await client.query('BEGIN');
    this.held.push(client);
    await this.insert(rows, client);
  }

  async commitHeld(): Promise<void> {
    for (const c of this.held) {
      await c.query('COMMIT');
      await c.end();
    }
    this.held = [];
  }

  async abandon(): Promise<void> {
    for (const c of this.held) await c.end().catch(() => undefined);
    this.held = [];
  }

  /** The committed rows now, as the model sees them. */
  async snapshot(): Promise<SourceRow[]> {
    const r = await this.pool.query(`SELECT id, uid, val, num, kind, removed, seg,
        (extract(epoch FROM at) * 1000000)::bigint::text AS at, (extract(epoch FROM cur) * 1000000)::bigint::text AS cur
      FROM ${this.table} ORDER BY id`);
    return r.rows.map((x) => ({
      id: x.id,
      uid: x.uid,
      val: x.val,
      num: x.num,
      kind: x.kind,
      removed: x.removed,
      seg: x.seg,
      at: BigInt(x.at),
      cursor: x.cur === null ? null : BigInt(x.cur),
    }));
  }

  /** A run's upper bound (timestamptz text) in microseconds. */
  async micros(text: string): Promise<bigint> {
    const r = await this.pool.query<{ us: string }>(
      'SELECT (extract(epoch FROM $1::timestamptz) * 1000000)::bigint::text AS us',
      [text],
    );
    return BigInt(r.rows[0]!.us);
  }
}

/** The import spec of a case: the same source table read as each data type. */
export function specOf(id: string, table: string, dataType: DataType, batchSize: number, lag: number) {
  const base = {
    id,
    name: `model ${id}`,
    source: { connection: 'warehouse', table },
    cursor: { column: 'cur', key: 'id', lag },
    batchSize,
  };
  switch (dataType) {
    case 'profile':
    case 'profile-insert-only':
      return {
        ...base,
        dataType: 'profile' as const,
        mode: dataType === 'profile' ? ('upsert' as const) : ('insert-only' as const),
        mapping: {
          userId: { column: 'uid' },
          attributes: [{ column: 'val' }, { column: 'num', type: 'number' as const }],
        },
      };
    case 'activity':
      return {
        ...base,
        dataType: 'activity' as const,
        mapping: {
          userId: { column: 'uid' },
          eventType: { column: 'kind' },
          timestamp: { column: 'at' },
          properties: [
            { column: 'val', property: 'sku' },
            { column: 'num', property: 'qty', type: 'number' as const },
          ],
        },
      };
    case 'segments':
      return {
        ...base,
        dataType: 'segments' as const,
        mapping: { userId: { column: 'uid' }, segment: { column: 'seg' }, removed: { column: 'removed' } },
      };
  }
}
