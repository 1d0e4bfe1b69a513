/**
 * The worker's workflow bundle: each start of the worker process writes it to the temp folder. Named by
 * its content's hash, it is the same file on every start, so starts and stops (a SIGTERM, a SIGKILL)
 * leave one bundle per version of the workflows, not one per start.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BUNDLE_PREFIX } from '../temporal/workflowBundle';
import { createHarness, type Harness } from './helpers/harness';
import { tempDir } from './helpers/servers';
import { spawnWorker, workerEnv } from './helpers/workerProcess';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('bundle', { inProcessWorker: false });
});
afterAll(async () => {
  await h?.close();
});

it('starting and stopping the worker process three times leaves one workflow bundle in the temp folder', async () => {
  // A temp folder of its own: the machine's is shared with every other worker.
  const tmp = tempDir('bundle-tmp');
  const env = workerEnv(h, { TMPDIR: tmp });
  const bundles = () => readdirSync(tmp).filter((name) => name.startsWith(BUNDLE_PREFIX));
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGKILL'] as const) {
    const worker = await spawnWorker(env);
    await worker.kill(signal);
    expect(bundles(), `after a ${signal}`).toHaveLength(1);
  }
  expect(bundles()[0]).toMatch(/^tributary-workflows-[0-9a-f]{16}\.js$/);
}, 600_000);
