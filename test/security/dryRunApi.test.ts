/**
 * A write key's dry run (the real API, a real worker) is not a way to read the host's files: a file
 * connection outside the operator's roots, a link out of them, and a loopback HTTP host are 400s naming
 * the field; a file under a root that is not of its declared format comes back as row errors naming
 * line and reason, never its text. Each file holds a canary line the response must never contain.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { operatorPolicyFromEnv } from '../../connectors/common/operatorPolicy';
import { FILE_CURSOR } from '../../domain/importSpec';
import { type ApiHarness, createApiHarness } from '../helpers/apiHarness';
import { uniqueId } from '../helpers/harness';
import { startHttp, type Running } from '../files/fileServers';
import { tempDir } from '../files/readFile';

const CANARY = 'CANARY-d41d8c-root:x:0:0:root';
let t: ApiHarness;
let web: Running;
let drop: string;
let outside: string;

beforeAll(async () => {
  const top = await tempDir();
  drop = path.join(top, 'drop');
  outside = path.join(top, 'outside');
  await mkdir(drop);
  await mkdir(outside);
  await writeFile(path.join(outside, 'passwd'), `${CANARY}\nuid,at\n${CANARY}-2\n`);
  await symlink(path.join(outside, 'passwd'), path.join(drop, 'link.csv'));
  await writeFile(path.join(drop, 'events.ndjson'), `{"uid":"u1","at":"2024-01-01T00:00:00Z"}\n${CANARY}-ndjson\n`);
  await writeFile(
    path.join(drop, 'events.csv'),
    `uid,at\nu1,2024-01-01T00:00:00Z\n${CANARY},2024-01-01T00:00:00Z,extra-${CANARY}\n`,
  );
  web = await startHttp();
  await writeFile(path.join(web.root, 'events.csv'), `uid,at\n${CANARY},2024-01-01T00:00:00Z\n`);
  // The operator's defaults, with one temp folder as the only root: no private hosts.
  t = await createApiHarness('dryreach', { policy: { ...operatorPolicyFromEnv({}), fileRoots: [drop] } });
  for (const [id, url] of [
    ['outside', pathToFileURL(outside).toString()],
    ['drop', pathToFileURL(drop).toString()],
    ['root', 'file:///'],
    ['web', web.url],
  ]) {
    const r = await t.req('POST', '/connections', { body: { id, name: id, url } });
    expect(r.status, r.text).toBe(201);
  }
}, 120_000);
afterAll(async () => {
  await t?.close();
  await web?.stop();
});

const spec = (connection: string, file: { path: string; format: 'csv' | 'ndjson' }) => ({
  id: uniqueId('reach'),
  name: 'reach',
  dataType: 'activity',
  source: { connection, file },
  cursor: FILE_CURSOR,
  mapping: { userId: { column: 'uid' }, eventType: { value: 'ping' }, timestamp: { column: 'at' }, properties: [] },
});

it('a file connection outside the roots is a 400 naming source.connection, without the file', async () => {
  for (const connection of ['outside', 'root']) {
    const r = await t.req('POST', '/imports/dry-run', { body: spec(connection, { path: 'passwd', format: 'csv' }) });
    expect(r.status, r.text).toBe(400);
    expect(r.body.errors).toEqual([
      {
        field: 'source.connection',
        message: expect.stringMatching(/outside the folders file sources may read|whole file system/),
      },
    ]);
    expect(r.text).not.toContain('CANARY');
  }
});

it('a link under the root leading out of it is a 400 naming source.file, without the file', async () => {
  const r = await t.req('POST', '/imports/dry-run', { body: spec('drop', { path: 'link.csv', format: 'csv' }) });
  expect(r.status, r.text).toBe(400);
  expect(r.body.errors).toEqual([
    {
      field: 'source.file',
      message: "file link.csv is outside the folders file sources may read (the operator's TRIBUTARY_FILE_ROOTS)",
    },
  ]);
  expect(r.text).not.toContain('CANARY');
});

it('an HTTP source on loopback is a 400 naming source.connection; nothing is fetched', async () => {
  const r = await t.req('POST', '/imports/dry-run', { body: spec('web', { path: 'events.csv', format: 'csv' }) });
  expect(r.status, r.text).toBe(400);
  expect(r.body.errors).toEqual([
    {
      field: 'source.connection',
      message: expect.stringMatching(/^http: 127\.0\.0\.1 is a loopback address, which sources may not reach/),
    },
  ]);
  expect(r.text).not.toContain('CANARY');
});

it('lines that are not of the declared format come back as row errors naming the line, never quoting it', async () => {
  const ndjson = await t.req('POST', '/imports/dry-run', {
    body: spec('drop', { path: 'events.ndjson', format: 'ndjson' }),
  });
  expect(ndjson.status, ndjson.text).toBe(200);
  expect(ndjson.body).toMatchObject({ rowsRead: 2, counts: { created: 1, rejected: 1 } });
  expect(ndjson.body.rowErrors).toEqual([
    {
      row: 2,
      sourceKey: 'events.ndjson@41',
      cursor: '2',
      column: null,
      value: null,
      reason: 'events.ndjson line 2: not JSON (at character 1)',
    },
  ]);
  const csv = await t.req('POST', '/imports/dry-run', { body: spec('drop', { path: 'events.csv', format: 'csv' }) });
  expect(csv.status, csv.text).toBe(200);
  expect(csv.body.rowErrors).toEqual([
    {
      row: 2,
      sourceKey: 'events.csv@31',
      cursor: '3',
      column: null,
      value: null,
      reason: 'events.csv line 3: 3 fields where the header has 2',
    },
  ]);
  for (const r of [ndjson, csv]) expect(r.text).not.toContain('CANARY');
  // Nothing the API answered, nor anything it logged, holds a canary.
  expect(t.responses.join('\n')).not.toContain('CANARY');
  expect(t.logs.join('\n')).not.toContain('CANARY');
});
