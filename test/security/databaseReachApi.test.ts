/**
 * A database connection an API key stores on a loopback host, end to end under the operator's default
 * address policy: the connection test answers ok: false naming the address class, the dry run is a 400,
 * and a run the worker is handed fails at once (never retried) with the same reason and loads no row.
 * Real API, worker, Temporal and Postgres.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { operatorPolicyFromEnv } from '../../connectors/common/operatorPolicy';
import { IMPORT_WORKFLOW_TYPE, importWorkflowId } from '../../workflows/definitions';
import { type ApiHarness, createApiHarness, waitFor } from '../helpers/apiHarness';
import { count, uniqueId } from '../helpers/harness';

let t: ApiHarness;
const LOOPBACK =
  /127\.0\.0\.1 is a loopback address, which sources may not reach; the operator can allow it with TRIBUTARY_ALLOW_PRIVATE_HOSTS/;

beforeAll(async () => {
  // The operator's default policy for both the API and the worker (superuser roles aside: the test's is one).
  t = await createApiHarness('dbreachapi', { policy: { ...operatorPolicyFromEnv({}), allowSuperuserSources: true } });
  await t.h.source.query(`CREATE TABLE reach_people AS SELECT g AS id, 'p' || g || '@x.test' AS email,
    timestamptz '2026-01-01' + g * interval '1 second' AS updated_at FROM generate_series(1, 5) g`);
});
afterAll(async () => {
  await t?.close();
});

const spec = (id: string) => ({
  id,
  name: 'reach',
  dataType: 'profile',
  source: { connection: 'loop-db', table: 'reach_people' },
  cursor: { column: 'updated_at', key: 'id' },
  mapping: { userId: { column: 'email' }, attributes: [{ column: 'id', type: 'number' }] },
});

it('refuses a loopback database in the connection test, the dry run and the worker, and loads nothing', async () => {
  expect(
    (await t.req('POST', '/connections', { body: { id: 'loop-db', name: 'loop', url: t.h.sourceUrl } })).status,
  ).toBe(201);
  const tested = await t.req('POST', '/connections/loop-db/test');
  expect(tested.body).toMatchObject({ ok: false, error: expect.stringMatching(LOOPBACK) });

  const id = uniqueId('dbreach');
  const dry = await t.req('POST', '/imports/dry-run', { body: spec(id) });
  expect(dry.status).toBe(400);
  expect(dry.body.detail).toMatch(LOOPBACK);

  await t.h.client.workflow.start(IMPORT_WORKFLOW_TYPE, {
    taskQueue: t.h.taskQueue,
    workflowId: importWorkflowId(id),
    args: [{ spec: spec(id) }],
  });
  const run = await waitFor(
    'the failed run',
    async () => (await t.h.store.query('SELECT status, error FROM runs WHERE import_id = $1', [id])).rows,
    (rows) => rows.some((r) => r.status === 'failed'),
    60_000,
  );
  expect(run).toEqual([{ status: 'failed', error: expect.stringMatching(LOOPBACK) }]);
  expect(await count(t.h.store, 'SELECT count(*) FROM profile_attributes WHERE import_id = $1', [id])).toBe(0);
});
