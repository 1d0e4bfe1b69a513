/**
 * Files imported end to end through the workflows (real Temporal, real store): a CSV into profiles with
 * row errors that name the file and line, a Parquet file on S3 into events, Parquet's typed values into
 * profiles exactly, an XML file into profiles,
 * and a drop folder whose files wait for their manifest, are imported once, skipped when dropped again
 * unchanged, and imported again when changed.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from '@temporalio/worker';
import iconv from 'iconv-lite';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { findTemporalCli } from '../../dev/temporalCli';
import { WORKFLOWS_PATH } from '../../worker';
import { s3Transport } from '../../connectors/files/transports/s3';
import {
  DROP_FOLDER_WORKFLOW_TYPE,
  type DropFolderSummary,
  dropFolderWorkflowId,
} from '../../workflows/dropFolderDefinitions';
import { count, createHarness, type Harness, uniqueId } from '../helpers/harness';
import { startS3 } from './fileServers';
import { tempDir } from './readFile';
import { fileReach } from '../../connectors/files/transports/open';
import { testPolicy } from '../helpers/testPolicy';

let h: Harness;
let dir: string;
let s3: Awaited<ReturnType<typeof startS3>>;
beforeAll(async () => {
  dir = await tempDir();
  s3 = await startS3('lake');
  h = await createHarness('files', { connections: { files: pathToFileURL(dir).toString(), lake: s3.url } });
}, 120_000);
afterAll(async () => {
  await h?.close();
  await s3?.stop();
});

const FILE_CURSOR = { column: '_line', key: '_source' };

describe('a file import', () => {
  it('loads a windows-1252, semicolon CSV into profiles in small batches; bad rows become row errors naming file and line', async () => {
    const csv = [
      'email;Full Name;age;signed up',
      'ann@x.io;"Ann; the ""first""";31;02/01/2024 03:04:05',
      'bob@x.io;Bøb Ærø;forty;01/02/2024 00:00:00',
      'cy@x.io;"Cy',
      'on two lines";22;05/06/2024 07:08:09',
      'dee@x.io;Dee;40',
      'eve@x.io;Ève;29;31/12/2025 23:59:59',
      '',
    ].join('\r\n');
    await writeFile(path.join(dir, 'customers.csv'), iconv.encode(csv, 'windows-1252'));
    const spec = {
      id: uniqueId('csv'),
      name: 'customers',
      dataType: 'profile' as const,
      batchSize: 2,
      source: {
        connection: 'files',
        file: {
          path: 'customers.csv',
          format: 'csv' as const,
          delimiter: 'semicolon',
          encoding: 'windows-1252' as const,
        },
      },
      cursor: FILE_CURSOR,
      mapping: {
        userId: { column: 'email' },
        idType: { value: 'email' },
        attributes: [
          { column: 'Full_Name', property: 'name' },
          { column: 'age', type: 'number' as const },
          { column: 'signed_up', property: 'signedUp', type: 'timestamp' as const, format: 'dd/MM/yyyy HH:mm:ss' },
        ],
      },
    };
    const run = await h.runImport(spec);
    expect(run).toMatchObject({ status: 'partially_succeeded', rowsRead: 5, created: 3, rejected: 2, batches: 3 });
    const profiles = await h.store.query(
      'SELECT id_value, attributes FROM profile_attributes WHERE import_id = $1 ORDER BY id_value',
      [spec.id],
    );
    expect(profiles.rows).toEqual([
      {
        id_value: 'ann@x.io',
        attributes: { name: 'Ann; the "first"', age: 31, signedUp: '2024-01-02T03:04:05.000000Z' },
      },
      {
        id_value: 'cy@x.io',
        attributes: { name: 'Cy\r\non two lines', age: 22, signedUp: '2024-06-05T07:08:09.000000Z' },
      },
      { id_value: 'eve@x.io', attributes: { name: 'Ève', age: 29, signedUp: '2025-12-31T23:59:59.000000Z' } },
    ]);
    const errors = await h.store.query(
      'SELECT source_key, cursor_value, column_name, value, reason FROM row_errors WHERE import_id = $1 ORDER BY id',
      [spec.id],
    );
    expect(errors.rows).toEqual([
      {
        source_key: 'customers.csv@85',
        cursor_value: '3',
        column_name: 'age',
        value: 'forty',
        reason: expect.stringMatching(/number/),
      },
      {
        source_key: 'customers.csv@180',
        cursor_value: '6',
        column_name: null,
        value: null,
        reason: 'customers.csv line 6: 3 fields where the header has 4',
      },
    ]);
    // The position is the last record's place in the file; a second run finds nothing new.
    const pos = await h.store.query(
      "SELECT cursor_value, key_value FROM positions WHERE import_id = $1 AND stream = ''",
      [spec.id],
    );
    expect(pos.rows[0]).toEqual({ cursor_value: '7', key_value: 'customers.csv@197' });
    expect(await h.runImport(spec)).toMatchObject({ status: 'succeeded', rowsRead: 0 });
  });

  it('loads a Parquet file from S3 into events', async () => {
    const n = 3000;
    const body = Buffer.from(
      parquetWriteBuffer({
        columnData: [
          { name: 'user_id', data: Array.from({ length: n }, (_, i) => `u${i % 100}`), type: 'STRING' },
          { name: 'kind', data: Array.from({ length: n }, (_, i) => (i % 2 ? 'view' : 'buy')), type: 'STRING' },
          {
            name: 'at',
            data: Array.from(
              { length: n },
              (_, i) => `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.${String(i).padStart(6, '0')}Z`,
            ),
            type: 'STRING',
          },
          { name: 'qty', data: BigInt64Array.from({ length: n }, (_, i) => BigInt(i)), type: 'INT64' },
        ],
        rowGroupSize: 1000,
      }),
    );
    await s3Transport(s3.url, fileReach(testPolicy()).network).client.send(
      new PutObjectCommand({ Bucket: 'lake', Key: 'events/day1.parquet', Body: body }),
    );
    const spec = {
      id: uniqueId('pq'),
      name: 'events',
      dataType: 'activity' as const,
      batchSize: 1200,
      source: { connection: 'lake', file: { path: 'events/day1.parquet', format: 'parquet' as const } },
      cursor: FILE_CURSOR,
      mapping: {
        userId: { column: 'user_id' },
        eventType: { column: 'kind' },
        timestamp: { column: 'at' },
        properties: [{ column: 'qty', type: 'number' as const }],
      },
    };
    expect(await h.runImport(spec)).toMatchObject({
      status: 'succeeded',
      rowsRead: n,
      created: n,
      duplicates: 0,
      batches: 3,
    });
    const sum = await h.store.query(
      "SELECT count(*)::int AS n, sum((properties->>'qty')::int)::bigint AS total FROM events WHERE import_id = $1",
      [spec.id],
    );
    expect(sum.rows[0]).toEqual({ n, total: String((n * (n - 1)) / 2) });
  });

  it('loads Parquet decimals, timestamps (UTC and local), floats and dates into profiles exactly', async () => {
    const tsColumn = (name: string, isAdjustedToUTC: boolean) => ({
      name,
      type: 'INT64',
      repetition_type: 'REQUIRED',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC, unit: 'MICROS' },
    });
    await writeFile(
      path.join(dir, 'accounts.parquet'),
      Buffer.from(
        parquetWriteBuffer({
          columnData: [
            { name: 'email', data: ['a@x.io', 'b@x.io'] },
            { name: 'balance', data: [3n, 1234567890123456789n] }, // unscaled: 0.3 and 123456789012345678.9
            { name: 'paid_at', data: [1767225600123456n, -1n] },
            { name: 'visit_at', data: [1767225600123456n, 1751328000000001n] }, // wall clock, no zone: Berlin is UTC+1 in winter, UTC+2 in summer
            { name: 'score', data: new Float32Array([0.1, 1.3]) },
            { name: 'born', data: [20454, -1] },
          ],
          schema: [
            { name: 'root', num_children: 6 },
            {
              name: 'email',
              type: 'BYTE_ARRAY',
              repetition_type: 'REQUIRED',
              converted_type: 'UTF8',
              logical_type: { type: 'STRING' },
            },
            {
              name: 'balance',
              type: 'INT64',
              repetition_type: 'REQUIRED',
              converted_type: 'DECIMAL',
              scale: 1,
              precision: 18,
              logical_type: { type: 'DECIMAL', scale: 1, precision: 18 },
            },
            tsColumn('paid_at', true),
            tsColumn('visit_at', false),
            { name: 'score', type: 'FLOAT', repetition_type: 'REQUIRED' },
            {
              name: 'born',
              type: 'INT32',
              repetition_type: 'REQUIRED',
              converted_type: 'DATE',
              logical_type: { type: 'DATE' },
            },
          ] as never,
        }),
      ),
    );
    const spec = {
      id: uniqueId('pqv'),
      name: 'accounts',
      dataType: 'profile' as const,
      timeZone: 'Europe/Berlin',
      source: { connection: 'files', file: { path: 'accounts.parquet', format: 'parquet' as const } },
      cursor: FILE_CURSOR,
      mapping: {
        userId: { column: 'email' },
        idType: { value: 'email' },
        attributes: [
          { column: 'balance', type: 'number' as const },
          { column: 'paid_at', type: 'timestamp' as const },
          { column: 'visit_at', type: 'timestamp' as const },
          { column: 'score', type: 'number' as const },
          { column: 'born', type: 'date' as const },
          { column: 'balance', property: 'balanceText' },
        ],
      },
    };
    expect(await h.runImport(spec)).toMatchObject({ status: 'succeeded', rowsRead: 2, created: 2 });
    const rows = await h.store.query(
      `SELECT id_value, attributes->>'balance' AS balance, attributes->>'balanceText' AS balance_text, attributes->>'paid_at' AS paid_at,
              attributes->>'visit_at' AS visit_at, attributes->>'score' AS score, attributes->>'born' AS born
         FROM profile_attributes WHERE import_id = $1 ORDER BY id_value`,
      [spec.id],
    );
    expect(rows.rows).toEqual([
      {
        id_value: 'a@x.io',
        balance: '0.3',
        balance_text: '0.3',
        paid_at: '2026-01-01T00:00:00.123456Z',
        visit_at: '2025-12-31T23:00:00.123456Z',
        score: '0.1',
        born: '2026-01-01',
      },
      {
        id_value: 'b@x.io',
        balance: '123456789012345678.9',
        balance_text: '123456789012345678.9',
        paid_at: '1969-12-31T23:59:59.999999Z',
        visit_at: '2025-06-30T22:00:00.000001Z',
        score: '1.3',
        born: '1969-12-31',
      },
    ]);
  });

  it('loads an XML file flattened to columns into profiles', async () => {
    await writeFile(
      path.join(dir, 'members.xml'),
      `<?xml version="1.0"?>
<members><member id="m1"><contact><email>m1@x.io</email></contact><tier>gold</tier></member>
<member id="m2"><contact><email>m2@x.io</email></contact><tier>silver</tier></member></members>`,
    );
    const spec = {
      id: uniqueId('xml'),
      name: 'members',
      dataType: 'profile' as const,
      source: {
        connection: 'files',
        file: { path: 'members.xml', format: 'xml' as const, recordPath: 'members/member' },
      },
      cursor: FILE_CURSOR,
      mapping: {
        userId: { column: 'contact_email' },
        idType: { value: 'email' },
        attributes: [{ column: 'id', property: 'memberId' }, { column: 'tier' }],
      },
    };
    expect(await h.runImport(spec)).toMatchObject({ status: 'succeeded', rowsRead: 2, created: 2 });
    const rows = await h.store.query(
      'SELECT id_value, attributes FROM profile_attributes WHERE import_id = $1 ORDER BY id_value',
      [spec.id],
    );
    expect(rows.rows).toEqual([
      { id_value: 'm1@x.io', attributes: { memberId: 'm1', tier: 'gold' } },
      { id_value: 'm2@x.io', attributes: { memberId: 'm2', tier: 'silver' } },
    ]);
  });
});

describe('a drop folder', () => {
  const runPass = async (spec: object & { id: string }): Promise<DropFolderSummary> =>
    (await h.client.workflow.execute(DROP_FOLDER_WORKFLOW_TYPE, {
      taskQueue: h.taskQueue,
      workflowId: dropFolderWorkflowId(spec.id),
      args: [{ spec }],
    })) as DropFolderSummary;

  it('imports a file only once its manifest is there, skips it dropped again unchanged, and imports it again when changed', async () => {
    const folder = path.join(dir, 'drop');
    await mkdir(folder, { recursive: true });
    const spec = {
      id: uniqueId('drop'),
      name: 'drop folder',
      dataType: 'profile' as const,
      source: { connection: 'files', folder: { path: 'drop', pattern: '*.csv', format: 'csv' as const } },
      cursor: FILE_CURSOR,
      mapping: { userId: { column: 'email' }, idType: { value: 'email' } },
    };
    const data = 'email,Score,Joined On\nann@x.io,7,02/01/2024\nbob@x.io,8,03/01/2024\n';
    await writeFile(path.join(folder, 'users.csv'), data);
    await writeFile(path.join(folder, 'readme.txt'), 'not a data file');

    // No manifest yet: the file waits, nothing is loaded.
    const first = await runPass(spec);
    expect(first).toMatchObject({ imported: [], waiting: ['drop/users.csv'], alreadyImported: [] });
    expect(await count(h.store, 'SELECT count(*) FROM profile_attributes WHERE import_id = $1', [spec.id])).toBe(0);

    // The manifest arrives: the file is imported with its mapping (names, types, date formats).
    const manifest = {
      columns: [
        { column: 'Score', property: 'score', type: 'number' },
        { column: 'Joined On', property: 'joined', type: 'date', format: 'dd/MM/yyyy' },
      ],
    };
    await writeFile(path.join(folder, 'users.csv.manifest.json'), JSON.stringify(manifest));
    const second = await runPass(spec);
    expect(second.waiting).toEqual([]);
    expect(second.imported).toEqual([
      expect.objectContaining({ path: 'drop/users.csv', status: 'succeeded', rowsRead: 2 }),
    ]);
    const attrs = async () =>
      (
        await h.store.query(
          'SELECT id_value, attributes FROM profile_attributes WHERE import_id = $1 ORDER BY id_value',
          [spec.id],
        )
      ).rows;
    expect(await attrs()).toEqual([
      { id_value: 'ann@x.io', attributes: { score: 7, joined: '2024-01-02' } },
      { id_value: 'bob@x.io', attributes: { score: 8, joined: '2024-01-03' } },
    ]);

    // Dropped again unchanged (even with a new modification time): skipped, nothing read.
    await utimes(path.join(folder, 'users.csv'), new Date(), new Date(Date.now() + 5000));
    const third = await runPass(spec);
    expect(third).toMatchObject({ imported: [], alreadyImported: ['drop/users.csv'] });
    expect(await count(h.store, 'SELECT count(*) FROM runs WHERE import_id = $1', [spec.id])).toBe(1);

    // Changed: imported again (a new identity, its own position stream).
    await writeFile(
      path.join(folder, 'users.csv'),
      'email,Score,Joined On\nann@x.io,9,02/01/2024\ncy@x.io,1,04/01/2024\n',
    );
    const fourth = await runPass(spec);
    expect(fourth.imported).toEqual([
      expect.objectContaining({ path: 'drop/users.csv', status: 'succeeded', rowsRead: 2 }),
    ]);
    expect(await attrs()).toEqual([
      { id_value: 'ann@x.io', attributes: { score: 9, joined: '2024-01-02' } },
      { id_value: 'bob@x.io', attributes: { score: 8, joined: '2024-01-03' } },
      { id_value: 'cy@x.io', attributes: { score: 1, joined: '2024-01-04' } },
    ]);
    const files = await h.store.query(
      'SELECT path, status, rows_read FROM imported_files WHERE import_id = $1 ORDER BY imported_at',
      [spec.id],
    );
    expect(files.rows).toEqual([
      { path: 'drop/users.csv', status: 'succeeded', rows_read: '2' },
      { path: 'drop/users.csv', status: 'succeeded', rows_read: '2' },
    ]);
    const streams = await h.store.query('SELECT stream FROM positions WHERE import_id = $1 ORDER BY stream', [spec.id]);
    expect(streams.rows.map((r) => r.stream)).toEqual([
      expect.stringMatching(/^file:[0-9a-f]{40}$/),
      expect.stringMatching(/^file:[0-9a-f]{40}$/),
    ]);

    // A manifest that cannot be used is reported (and the file taken up once it is fixed); an over-limit file fails clearly.
    await writeFile(path.join(folder, 'bad.csv'), 'email\nz@x.io\n');
    await writeFile(path.join(folder, 'bad.csv.manifest.json'), '{"columns": [{"column": "email", "type": "colour"}]}');
    const fifth = await runPass(spec);
    expect(fifth.invalid).toEqual([
      { path: 'drop/bad.csv', reason: expect.stringMatching(/^the manifest is not valid: columns\.0\.type: /) },
    ]);
    await rm(path.join(folder, 'bad.csv.manifest.json'));
  });

  it('counts on from the summary it carries across continue-as-new, in its input or (older workers) as a second argument', async () => {
    await mkdir(path.join(dir, 'carried'), { recursive: true });
    const spec = {
      id: uniqueId('carried'),
      name: 'carried',
      dataType: 'profile' as const,
      source: { connection: 'files', folder: { path: 'carried', pattern: '*.csv', format: 'csv' as const } },
      cursor: FILE_CURSOR,
      mapping: { userId: { column: 'email' }, idType: { value: 'email' } },
    };
    const earlier = {
      path: 'carried/old.csv',
      identity: 'x',
      status: 'succeeded',
      runId: 1,
      rowsRead: 3,
      rejected: 0,
      error: null,
    };
    const carried: DropFolderSummary = {
      passes: 41,
      imported: [earlier],
      waiting: [],
      invalid: [],
      alreadyImported: [],
    };
    const pass = async (args: unknown[]) =>
      (await h.client.workflow.execute(DROP_FOLDER_WORKFLOW_TYPE, {
        taskQueue: h.taskQueue,
        workflowId: `${dropFolderWorkflowId(spec.id)}:${args.length}`,
        args,
      })) as DropFolderSummary;
    expect(await pass([{ spec, carry: carried }])).toMatchObject({ passes: 42, imported: [earlier] });
    expect(await pass([{ spec }, carried])).toMatchObject({ passes: 42, imported: [earlier] });
  });

  it('imports every file matching a glob when manifests are not required (each once)', async () => {
    const folder = path.join(dir, 'glob');
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'day-1.ndjson'), '{"email": "g1@x.io", "n": 1}\n{"email": "g2@x.io", "n": 2}\n');
    await writeFile(path.join(folder, 'day-2.ndjson'), '{"email": "g3@x.io", "n": 3}\n');
    await writeFile(path.join(folder, 'day-3.csv'), 'email\nnot@x.io\n');
    const spec = {
      id: uniqueId('glob'),
      name: 'glob',
      dataType: 'profile' as const,
      source: {
        connection: 'files',
        folder: { path: 'glob', pattern: 'day-?.ndjson', requireManifest: false, format: 'ndjson' as const },
      },
      cursor: FILE_CURSOR,
      mapping: {
        userId: { column: 'email' },
        idType: { value: 'email' },
        attributes: [{ column: 'n', type: 'number' as const }],
      },
    };
    const first = await runPass(spec);
    expect(first.imported.map((f) => [f.path, f.status, f.rowsRead])).toEqual([
      ['glob/day-1.ndjson', 'succeeded', 2],
      ['glob/day-2.ndjson', 'succeeded', 1],
    ]);
    // Determinism: the pass (listing, two child imports) replays against today's workflow code; with
    // TRIBUTARY_RECORD_HISTORIES=1 it is also kept as a fixture that test/replay.test.ts replays from then on.
    const handle = h.client.workflow.getHandle(dropFolderWorkflowId(spec.id));
    await Worker.runReplayHistory(
      { workflowsPath: WORKFLOWS_PATH, replayName: 'drop folder' },
      await handle.fetchHistory(),
      handle.workflowId,
    );
    if (process.env.TRIBUTARY_RECORD_HISTORIES === '1') {
      const json = execFileSync(findTemporalCli(), [
        'workflow',
        'show',
        '--workflow-id',
        handle.workflowId,
        '--address',
        inject('temporalAddress'),
        '--output',
        'json',
      ]);
      writeFileSync(
        path.join(
          path.dirname(fileURLToPath(import.meta.url)),
          '..',
          'fixtures',
          'histories',
          'drop-folder-two-files.json',
        ),
        json,
      );
    }
    expect((await runPass(spec)).alreadyImported).toEqual(['glob/day-1.ndjson', 'glob/day-2.ndjson']);
    const rows = await h.store.query(
      'SELECT id_value, attributes FROM profile_attributes WHERE import_id = $1 ORDER BY id_value',
      [spec.id],
    );
    expect(rows.rows).toEqual([
      { id_value: 'g1@x.io', attributes: { n: 1 } },
      { id_value: 'g2@x.io', attributes: { n: 2 } },
      { id_value: 'g3@x.io', attributes: { n: 3 } },
    ]);
  });

  it('reads a drop folder in an S3 bucket, the ETag being the identity', async () => {
    const client = s3Transport(s3.url, fileReach(testPolicy()).network).client;
    const put = (Key: string, Body: string) => client.send(new PutObjectCommand({ Bucket: 'lake', Key, Body }));
    const spec = {
      id: uniqueId('s3drop'),
      name: 's3 drop',
      dataType: 'profile' as const,
      source: { connection: 'lake', folder: { path: 'incoming', pattern: 'p-*.csv', format: 'csv' as const } },
      cursor: FILE_CURSOR,
      mapping: { userId: { column: 'email' }, idType: { value: 'email' } },
    };
    await put('incoming/p-1.csv', 'email|plan\nq@x.io|pro\n');
    await put('incoming/p-1.csv.manifest.json', JSON.stringify({ delimiter: 'pipe', columns: [{ column: 'plan' }] }));
    await put('incoming/other.csv', 'email\nnope@x.io\n');
    expect((await runPass(spec)).imported).toEqual([
      expect.objectContaining({ path: 'incoming/p-1.csv', status: 'succeeded', rowsRead: 1 }),
    ]);
    await put('incoming/p-1.csv', 'email|plan\nq@x.io|pro\n'); // the same bytes again: same ETag
    expect(await runPass(spec)).toMatchObject({ imported: [], alreadyImported: ['incoming/p-1.csv'] });
    const rows = await h.store.query('SELECT id_value, attributes FROM profile_attributes WHERE import_id = $1', [
      spec.id,
    ]);
    expect(rows.rows).toEqual([{ id_value: 'q@x.io', attributes: { plan: 'pro' } }]);
  });
});
