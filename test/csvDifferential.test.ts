/**
 * The CSV reader against two independent readers on a seeded corpus of generated files (csvCorpus.ts):
 * Python's csv module (strict) for every file, and Postgres's COPY … (FORMAT csv) for the files COPY takes
 * (one line end throughout, no blank lines, one width, not broken). Our reader runs as a file import runs
 * it: the bytes decoded in chunks of random sizes (a character, a CR LF or a doubled quote split across
 * two), from the BOM's end.
 *
 * How the answers map: Python gives '' for an empty field quoted or not, so against Python our NULL (an
 * unquoted empty field) is ''; COPY keeps the two apart as we do (NULL and ''), so against COPY they are
 * compared as they are. A blank line is no record for us, [] for Python (left out). A broken record is a
 * record error for us and the end of the file for strict Python: the records before it must agree.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CsvParser, type CsvRecord } from '../connectors/files/formats/csv';
import { chunkDecoder, detectDecoding } from '../connectors/files/decoding';
import { csvCase, type CsvCase } from './oracles/csvCorpus';
import { rng, type Rng } from './oracles/random';
import { readFileRows } from './files/readFile';

const SEED = 4181;
const FILES = 300;

/** Our records of a file's bytes from (line, offset), fed in byte chunks of random sizes. */
function ourRecords(bytes: Buffer, c: CsvCase, r: Rng, start?: { line: number; offset: number }): CsvRecord[] {
  const decoding = detectDecoding('utf-8', bytes.subarray(0, 4));
  const from = start ?? { line: 1, offset: decoding.bomBytes };
  const parser = new CsvParser({ delimiter: c.delimiter, quote: c.quote, bytesOf: decoding.bytesOf }, from);
  const decoder = chunkDecoder(decoding);
  const out: CsvRecord[] = [];
  for (let at = from.offset; at < bytes.length;) {
    const size = r.chance(0.5) ? r.int(1, 8) : r.int(1, 70_000);
    parser.push(decoder.write(bytes.subarray(at, at + size)), out);
    at += size;
  }
  parser.push(decoder.end(), out);
  parser.end(out);
  return out;
}

interface PyResult {
  records: string[][];
  error: string | null;
}

function python(files: { path: string; delimiter: string; quote: string }[]): PyResult[] {
  const run = spawnSync('python3', [path.join(import.meta.dirname, 'oracles', 'csvOracle.py')], {
    input: JSON.stringify(files),
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as PyResult[];
}

const sqlChar = (ch: string) => `'${ch.replace(/'/g, "''")}'`;

/** The file's records as COPY (FORMAT csv) reads them into a table of `width` text columns. */
async function copyRecords(db: pg.Client, body: Buffer, c: CsvCase, width: number): Promise<(string | null)[][]> {
  const cols = Array.from({ length: width }, (_, i) => `c${i}`);
  await db.query(
    `DROP TABLE IF EXISTS pg_temp.csv_oracle; CREATE TEMP TABLE csv_oracle (n bigserial, ${cols.map((x) => `${x} text`).join(', ')})`,
  );
  await pipeline(
    Readable.from([body]),
    db.query(
      copyFrom(
        `COPY csv_oracle (${cols.join(', ')}) FROM STDIN (FORMAT csv, DELIMITER ${sqlChar(c.delimiter)}, QUOTE ${sqlChar(c.quote)}, ENCODING 'UTF8')`,
      ),
    ),
  );
  const res = await db.query<Record<string, string | null>>(`SELECT ${cols.join(', ')} FROM csv_oracle ORDER BY n`);
  return res.rows.map((row) => cols.map((x) => row[x]!));
}

describe('CSV reader against Python csv and Postgres COPY', () => {
  let db: pg.Client;
  let dir: string;
  beforeAll(async () => {
    db = new pg.Client({ connectionString: inject('pgAdminUrl') });
    await db.connect();
    dir = mkdtempSync(path.join(tmpdir(), 'tributary-csv-oracle-'));
  });
  afterAll(async () => {
    await db?.end();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('read every generated file as they do, cell by cell', async () => {
    const started = Date.now();
    const r = rng(SEED);
    const cases = Array.from({ length: FILES }, (_, n) => csvCase(r, n));
    const bytes = cases.map((c) => Buffer.from(c.text, 'utf8'));
    cases.forEach((c, i) => writeFileSync(path.join(dir, c.name), bytes[i]!));
    const py = python(cases.map((c) => ({ path: path.join(dir, c.name), delimiter: c.delimiter, quote: c.quote })));

    const disagree: string[] = [];
    let records = 0;
    let cells = 0;
    let copied = 0;
    let broken = 0;
    let resumed = 0;
    for (const [i, c] of cases.entries()) {
      const ours = ourRecords(bytes[i]!, c, r);
      const asPython = ours.map((rec) => rec.fields.map((f) => f ?? ''));
      const firstError = ours.findIndex((rec) => rec.error !== null);
      const p = py[i]!;
      const where = `${c.name} (delimiter ${JSON.stringify(c.delimiter)}, quote ${JSON.stringify(c.quote)})`;
      if (p.error !== null) {
        // Strict Python stops at a broken record; we report it and go on. Before it, the same records.
        broken++;
        if (firstError < 0) disagree.push(`${where}: Python refuses it (${p.error}), we read it`);
        else if (
          firstError !== p.records.length ||
          JSON.stringify(asPython.slice(0, firstError)) !== JSON.stringify(p.records)
        ) {
          disagree.push(
            `${where}: the records before the broken one (${firstError + 1}: ${ours[firstError]!.error}) differ from Python's (${p.error})`,
          );
        }
      } else {
        if (firstError >= 0)
          disagree.push(`${where}: Python reads it, we refuse record ${firstError + 1}: ${ours[firstError]!.error}`);
        // Python, with our NULLs as ''.
        if (JSON.stringify(asPython) !== JSON.stringify(p.records)) {
          const k = asPython.findIndex((rec, j) => JSON.stringify(rec) !== JSON.stringify(p.records[j]));
          disagree.push(
            `${where}: Python differs at record ${k + 1}: ours ${JSON.stringify(asPython[k])?.slice(0, 300)}, Python ${JSON.stringify(p.records[k])?.slice(0, 300)}`,
          );
        }
      }
      if (c.brokenAt === null) {
        if (p.error !== null) disagree.push(`${where}: Python refuses a file written well: ${p.error}`);
        // The writer's records, NULLs included.
        const fields = ours.map((rec) => rec.fields);
        if (JSON.stringify(fields) !== JSON.stringify(c.records)) {
          const k = fields.findIndex((rec, j) => JSON.stringify(rec) !== JSON.stringify(c.records[j]));
          disagree.push(
            `${where}: the writer's record ${k + 1} differs: ours ${JSON.stringify(fields[k])?.slice(0, 300)}, written ${JSON.stringify(c.records[k])?.slice(0, 300)}`,
          );
        }
        // A record's position resumes a read at that record.
        for (let k = 0; k < 2 && ours.length > 0; k++) {
          const at = r.int(0, ours.length - 1);
          const again = ourRecords(bytes[i]!, c, r, { line: ours[at]!.line, offset: ours[at]!.offset });
          if (JSON.stringify(again) !== JSON.stringify(ours.slice(at)))
            disagree.push(`${where}: resuming at record ${at + 1} (${ours[at]!.offset}) reads other records`);
          resumed++;
        }
        // COPY, where it takes the file.
        const widths = new Set(c.records.map((rec) => rec.length));
        if (c.uniformLineEnds && widths.size === 1 && !c.blankLine) {
          const body = c.bom ? bytes[i]!.subarray(3) : bytes[i]!;
          try {
            const rows = await copyRecords(db, body, c, [...widths][0]!);
            if (JSON.stringify(rows) !== JSON.stringify(fields)) {
              const k = rows.findIndex((rec, j) => JSON.stringify(rec) !== JSON.stringify(fields[j]));
              disagree.push(
                `${where}: COPY differs at record ${k + 1}: ours ${JSON.stringify(fields[k])?.slice(0, 300)}, COPY ${JSON.stringify(rows[k])?.slice(0, 300)}`,
              );
            }
            copied++;
          } catch (err) {
            disagree.push(`${where}: COPY refuses it: ${(err as Error).message}`);
          }
        }
      }
      records += ours.length;
      cells += ours.reduce((n, rec) => n + rec.fields.length, 0);
    }
    for (const d of disagree.slice(0, 40)) console.log(`DISAGREE ${d}`);
    console.log(
      `csv differential: ${FILES} files, ${records} records, ${cells} cells, ${copied} also read by COPY, ${broken} refused by Python (broken on purpose), ` +
        `${resumed} resumed reads, ${disagree.length} disagree, in ${Date.now() - started} ms`,
    );
    expect(disagree).toEqual([]);
    expect(copied).toBeGreaterThan(50);
    expect(broken).toBeGreaterThan(10);
  });

  it("give an import of a file (header, then rows) Python's records, through the real file session", async () => {
    const r = rng(SEED + 1);
    const cases = Array.from({ length: 60 }, (_, n) => csvCase(r, n)).filter(
      (c) => c.brokenAt === null && c.records.length > 1,
    );
    const py = python(
      cases.map((c) => {
        writeFileSync(path.join(dir, `s${c.name}`), c.text);
        return { path: path.join(dir, `s${c.name}`), delimiter: c.delimiter, quote: c.quote };
      }),
    );
    const disagree: string[] = [];
    let rows = 0;
    for (const [i, c] of cases.entries()) {
      const out = await readFileRows(c.text, { delimiter: c.delimiter, quote: c.quote }, { name: c.name });
      const [header, ...records] = py[i]!.records;
      const got = out.rows.map((row) =>
        'error' in row ? { error: row.error } : Object.values(row).map((v) => v ?? ''),
      );
      // A record of another width than the header is a row error naming its line and widths.
      const want = records.map((rec) =>
        rec.length === header!.length
          ? rec
          : {
              error: expect.stringMatching(
                new RegExp(`^${c.name} line \\d+: ${rec.length} fields? where the header has ${header!.length}$`),
              ),
            },
      );
      try {
        expect(out.columns.length).toBe(header!.length);
        expect(got).toEqual(want);
      } catch (err) {
        disagree.push(`${c.name}: ${(err as Error).message.slice(0, 400)}`);
      }
      rows += got.length;
    }
    console.log(
      `csv differential through the file session: ${cases.length} files, ${rows} rows, ${disagree.length} disagree`,
    );
    expect(disagree).toEqual([]);
  });
});
