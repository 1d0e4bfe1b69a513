/**
 * A canary secret in every kind of connection, failing every way it can (bad credentials, credentials that
 * do not parse, a host that does not answer, a file that is not there): the canary, in none of its forms
 * (as is, URL-encoded, base64, base64url), may reach an API response, the API's log, the worker's output,
 * the run's Temporal history or its pending activity's last failure. Real servers throughout (Postgres,
 * MariaDB, ClickHouse, sshd, versitygw, HTTP); Snowflake and BigQuery through their protocol fakes.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, createApiHarness } from '../helpers/apiHarness';
import { uniqueId } from '../helpers/harness';
import { refusingPort, tempDir } from '../helpers/servers';
import { type MariaDb, startMariaDb } from '../helpers/mariadb';
import { type ClickHouse, startClickHouse } from '../helpers/clickhouse';
import { type SnowflakeFake, startSnowflakeFake } from '../fakes/snowflakeFake';
import { type BigQueryFake, startBigQueryFake } from '../fakes/bigqueryFake';
import { bigqueryBackingDb, serviceAccount } from '../conformance/bigqueryTarget';
import { snowflakeBackingDb } from '../conformance/snowflakeTarget';
import { type Running, startHttp, startS3, startSftp } from '../files/fileServers';
import { IMPORT_WORKFLOW_TYPE, importWorkflowId } from '../../workflows/definitions';
import { captureOutput } from './capture';

// The canary holds characters that URL-encoding, base64 and JSON escaping all change.
const CORE = randomUUID().replace(/-/g, '');
const CANARY = `Cn4ry${CORE}/+=&?`;
const FORMS = [
  // Its first ten characters: JSON.parse quotes about that much of text it cannot parse.
  CANARY.slice(0, 10),
  CORE.slice(0, 16),
  CANARY,
  encodeURIComponent(CANARY),
  Buffer.from(CANARY).toString('base64'),
  Buffer.from(CANARY).toString('base64url'),
];
// The start of /etc/passwd: a key_file pointing at it must not show it.
const PASSWD = 'root:x:0:0';

let t: ApiHarness;
let output: ReturnType<typeof captureOutput>;
let maria: MariaDb;
let ch: ClickHouse;
let sf: SnowflakeFake;
let bq: BigQueryFake;
let http: Running;
let s3: Running & { endpoint: string };
let sftp: Running;
let closedPort: number;
const cleanups: (() => Promise<unknown>)[] = [];
const histories: string[] = [];

beforeAll(async () => {
  output = captureOutput();
  t = await createApiHarness('canary');
  closedPort = await refusingPort();
  await t.h.source.query(`CREATE ROLE canary_reader LOGIN PASSWORD 'the-right-one'`);
  maria = await startMariaDb();
  cleanups.push(() => maria.stop());
  ch = await startClickHouse();
  cleanups.push(() => ch.stop());
  const sfDb = await snowflakeBackingDb();
  cleanups.push(() => sfDb.admin.end());
  sf = await startSnowflakeFake({
    postgresUrl: sfDb.url,
    schema: sfDb.schema,
    users: { tributary: { password: 'pw', roles: ['READER'] } },
  });
  cleanups.push(() => sf.close());
  const bqDb = await bigqueryBackingDb();
  cleanups.push(() => bqDb.admin.end());
  const reader = serviceAccount('reader@proj.iam.gserviceaccount.com');
  bq = await startBigQueryFake({
    postgresUrl: bqDb.url,
    project: 'proj',
    accounts: { [reader.email]: { publicKey: reader.publicKey, canQuery: true } },
  });
  cleanups.push(() => bq.close());
  http = await startHttp();
  cleanups.push(() => http.stop());
  s3 = await startS3('canary');
  cleanups.push(() => s3.stop());
  sftp = await startSftp();
  cleanups.push(() => sftp.stop());
}, 600_000);

afterAll(async () => {
  output?.restore();
  await t?.close();
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/** A service-account key (valid JSON, a real RSA key) that no fake account knows, with the canary as its key id. */
function unknownKey(): string {
  const sa = serviceAccount('nobody@proj.iam.gserviceaccount.com');
  const key = JSON.parse(Buffer.from(sa.credentials, 'base64').toString('utf8')) as Record<string, string>;
  key.private_key_id = CANARY;
  return Buffer.from(JSON.stringify(key)).toString('base64');
}

const enc = encodeURIComponent;
const pgHost = () => new URL(t.h.sourceUrl);

interface Case {
  name: string;
  url: () => string;
  source: 'table' | 'file';
  /** Whether the API can test the connection (databases and warehouses; file connections are not explorable). */
  explorable: boolean;
  /** Other text the outputs must not contain (besides the canary's forms). */
  forbidden?: string[];
}

const bqBase = () => `bigquery://proj/conf?location=US&api_endpoint=${enc(bq.apiEndpoint)}`;
const sfBase = (user: string, password: string, extra = '') =>
  `snowflake://${user}:${enc(password)}@fakeaccount/FAKE/PUBLIC?warehouse=WH&role=READER&access_url=${enc(sf.accessUrl)}${extra}`;

const CASES: Case[] = [
  {
    name: 'postgres bad credentials',
    source: 'table',
    explorable: true,
    url: () => `postgres://canary_reader:${enc(CANARY)}@${pgHost().host}${pgHost().pathname}`,
  },
  {
    name: 'postgres password as a query parameter',
    source: 'table',
    explorable: true,
    url: () => `postgres://canary_reader@${pgHost().host}${pgHost().pathname}?password=${enc(CANARY)}`,
  },
  {
    name: 'postgres unreachable host',
    source: 'table',
    explorable: true,
    url: () => `postgres://canary_reader:${enc(CANARY)}@127.0.0.1:${closedPort}/nowhere`,
  },
  { name: 'mysql bad credentials', source: 'table', explorable: true, url: () => maria.url('mysql', 'root', CANARY) },
  {
    name: 'mysql unreachable host',
    source: 'table',
    explorable: true,
    url: () => `mysql://root:${enc(CANARY)}@127.0.0.1:${closedPort}/x`,
  },
  {
    name: 'clickhouse bad credentials',
    source: 'table',
    explorable: true,
    url: () => ch.url('default', 'reader', CANARY),
  },
  {
    name: 'clickhouse unreachable host',
    source: 'table',
    explorable: true,
    url: () => `clickhouse://reader:${enc(CANARY)}@127.0.0.1:${closedPort}/default`,
  },
  { name: 'snowflake bad credentials', source: 'table', explorable: true, url: () => sfBase('tributary', CANARY) },
  {
    name: 'snowflake unparsable private key',
    source: 'table',
    explorable: true,
    url: () =>
      `snowflake://tributary@fakeaccount/FAKE/PUBLIC?warehouse=WH&access_url=${enc(sf.accessUrl)}&private_key=${enc(`-----BEGIN PRIVATE KEY-----\n${CANARY}\n-----END PRIVATE KEY-----`)}`,
  },
  {
    name: 'snowflake missing key file',
    source: 'table',
    explorable: true,
    url: () =>
      `snowflake://tributary@fakeaccount/FAKE/PUBLIC?warehouse=WH&access_url=${enc(sf.accessUrl)}&private_key_path=/nonexistent/key.p8&private_key_pass=${enc(CANARY)}`,
  },
  {
    name: 'snowflake unreachable host',
    source: 'table',
    explorable: true,
    url: () =>
      `snowflake://tributary:${enc(CANARY)}@fakeaccount/FAKE/PUBLIC?warehouse=WH&access_url=${enc(`http://127.0.0.1:${closedPort}`)}`,
  },
  {
    name: 'bigquery bad credentials',
    source: 'table',
    explorable: true,
    url: () => `${bqBase()}&credentials=${enc(unknownKey())}`,
  },
  {
    name: 'bigquery inline credentials that are not JSON',
    source: 'table',
    explorable: true,
    url: () => `${bqBase()}&credentials=${enc(Buffer.from(`${CANARY} is no key`).toString('base64'))}`,
  },
  {
    name: 'bigquery inline credentials that are not base64',
    source: 'table',
    explorable: true,
    url: () => `${bqBase()}&credentials=${enc(CANARY)}`,
  },
  {
    name: 'bigquery key_file that is not a key',
    source: 'table',
    explorable: true,
    forbidden: [PASSWD],
    url: () => `${bqBase()}&key_file=/etc/passwd`,
  },
  {
    name: 'bigquery key_file holding the canary',
    source: 'table',
    explorable: true,
    url: () => {
      const file = path.join(tempDir('canary-key'), 'key.json');
      // JSON.parse quotes the start of text it cannot parse: here, the canary.
      writeFileSync(file, `${CANARY} is no key`);
      return `${bqBase()}&key_file=${enc(file)}`;
    },
  },
  {
    name: 'bigquery missing key_file',
    source: 'table',
    explorable: true,
    url: () => `${bqBase()}&key_file=/nonexistent/key.json`,
  },
  {
    name: 'bigquery unreachable host',
    source: 'table',
    explorable: true,
    url: () =>
      `bigquery://proj/conf?credentials=${enc(unknownKey())}&api_endpoint=${enc(`http://127.0.0.1:${closedPort}`)}`,
  },
  {
    name: 'http bad credentials',
    source: 'file',
    explorable: false,
    url: () => http.url.replace(enc('s3cret pass'), enc(CANARY)),
  },
  {
    name: 'http unreachable host',
    source: 'file',
    explorable: false,
    url: () => `http://reader:${enc(CANARY)}@127.0.0.1:${closedPort}/files/`,
  },
  {
    name: 's3 bad credentials',
    source: 'file',
    explorable: false,
    url: () => s3.url.replace('tributary-test-secret-key', enc(CANARY)),
  },
  {
    name: 's3 unreachable host',
    source: 'file',
    explorable: false,
    url: () => `s3://key:${enc(CANARY)}@127.0.0.1:${closedPort}/canary?tls=false&region=us-east-1`,
  },
  {
    name: 'sftp bad credentials',
    source: 'file',
    explorable: false,
    url: () => {
      const u = new URL(sftp.url);
      return `sftp://${u.username}:${enc(CANARY)}@${u.host}${u.pathname}`;
    },
  },
  {
    name: 'sftp missing key file',
    source: 'file',
    explorable: false,
    url: () => {
      const u = new URL(sftp.url);
      return `sftp://${u.username}:${enc(CANARY)}@${u.host}${u.pathname}?privateKey=/nonexistent/key`;
    },
  },
  {
    name: 'sftp unreachable host',
    source: 'file',
    explorable: false,
    url: () => `sftp://me:${enc(CANARY)}@127.0.0.1:${closedPort}/files`,
  },
];

const specFor = (id: string, connection: string, source: Case['source']) => ({
  id,
  name: 'canary',
  dataType: 'profile',
  source:
    source === 'table' ? { connection, table: 'users' } : { connection, file: { path: 'users.csv', format: 'csv' } },
  cursor: source === 'table' ? { column: 'updated_at', key: 'id' } : { column: '_line', key: '_source' },
  mapping: { userId: { column: 'email' } },
});

/** The texts that must hold no secret: everything the API answered and logged, the worker printed, and Temporal keeps. */
const everything = () => [...t.responses, ...t.logs, ...output.lines, ...histories];

function expectClean(texts: string[], extra: string[] = []): void {
  for (const needle of [...FORMS, ...extra]) {
    const hit = texts.find((x) => x.includes(needle));
    expect(
      hit === undefined
        ? null
        : `${needle} found in: ${hit.slice(Math.max(0, hit.indexOf(needle) - 300), hit.indexOf(needle) + 100)}`,
    ).toBeNull();
  }
}

/** Wait until the run has closed or its first activity has failed at least once; then stop it. */
async function failedOnce(handle: WorkflowHandle): Promise<{ text: string; failed: boolean }> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const d = await handle.describe();
    const pending = d.raw.pendingActivities ?? [];
    if (d.status.name !== 'RUNNING' || pending.some((p) => p.lastFailure)) {
      const text = JSON.stringify(d.raw);
      if (d.status.name === 'RUNNING') await handle.terminate('seen its failure');
      return { text, failed: d.status.name === 'FAILED' || d.status.name === 'RUNNING' };
    }
    if (Date.now() > deadline) throw new Error(`${handle.workflowId} neither closed nor failed an activity in 120 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('a canary secret in every connection kind', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const id = `canary-${randomUUID().slice(0, 8)}`;
      const created = await t.req('POST', '/connections', { body: { id, name: c.name, url: c.url() } });
      expect(created.status, created.text).toBe(201);
      if (c.explorable) {
        const tested = await t.req('POST', `/connections/${id}/test`);
        expect(tested.status, tested.text).toBeLessThan(500);
        expect(tested.body.ok, tested.text).toBe(false);
      }
      const importId = uniqueId('canary');
      const spec = specFor(importId, id, c.source);
      // The mapping check and the dry run open the source through the API: both fail, neither may echo.
      const create = await t.req('POST', '/imports', { body: spec });
      expect(create.status, create.text).toBeGreaterThanOrEqual(400);
      const dry = await t.req('POST', '/imports/dry-run', { body: spec });
      expect(dry.status, dry.text).toBeGreaterThanOrEqual(400);
      // The worker opens it as a run does: configuration errors end the run, transient ones are retried.
      const handle = await t.h.client.workflow.start(IMPORT_WORKFLOW_TYPE, {
        taskQueue: t.h.taskQueue,
        workflowId: importWorkflowId(importId),
        args: [{ spec }],
      });
      const seen = await failedOnce(handle);
      histories.push(seen.text, JSON.stringify(await handle.fetchHistory()));
      // The run failed (or its activity did and is being retried): it did not pass silently.
      expect(seen.failed).toBe(true);
      expectClean(everything(), c.forbidden);
    });
  }

  it('names the field of a BigQuery key that does not parse, never its content', async () => {
    const id = `canary-${randomUUID().slice(0, 8)}`;
    await t.req('POST', '/connections', { body: { id, name: 'passwd', url: `${bqBase()}&key_file=/etc/passwd` } });
    const tested = await t.req('POST', `/connections/${id}/test`);
    // Outside the operator's key folders: refused by name, before the file is opened.
    expect(tested.body).toMatchObject({
      ok: false,
      error: expect.stringMatching(
        /key_file: \/etc\/passwd is outside the folders connection key files may be read from/,
      ),
    });
    const missing = `canary-${randomUUID().slice(0, 8)}`;
    const missingFile = path.join(tempDir('canary-missing'), 'key.json');
    await t.req('POST', '/connections', {
      body: { id: missing, name: 'missing', url: `${bqBase()}&key_file=${enc(missingFile)}` },
    });
    expect((await t.req('POST', `/connections/${missing}/test`)).body).toMatchObject({
      ok: false,
      error: expect.stringMatching(/key_file: cannot read .*ENOENT/),
    });
    const notKey = `canary-${randomUUID().slice(0, 8)}`;
    const notKeyFile = path.join(tempDir('canary-notkey'), 'key.json');
    writeFileSync(notKeyFile, readFileSync('/etc/passwd'));
    await t.req('POST', '/connections', {
      body: { id: notKey, name: 'not a key', url: `${bqBase()}&key_file=${enc(notKeyFile)}` },
    });
    expect((await t.req('POST', `/connections/${notKey}/test`)).body).toMatchObject({
      ok: false,
      error: expect.stringMatching(/key_file: is not a service-account key/),
    });
    const inline = `canary-${randomUUID().slice(0, 8)}`;
    await t.req('POST', '/connections', {
      body: {
        id: inline,
        name: 'inline',
        url: `${bqBase()}&credentials=${enc(Buffer.from(`{"private_key": "${CANARY}`).toString('base64'))}`,
      },
    });
    expect((await t.req('POST', `/connections/${inline}/test`)).body).toMatchObject({
      ok: false,
      error: expect.stringMatching(/credentials: is not a service-account key \(not JSON\)/),
    });
    expectClean(everything(), [PASSWD]);
  });
});
