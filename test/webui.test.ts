/**
 * Operating an import from the Temporal Web UI, in a real browser (headless Chromium driven by
 * playwright-core): find a running import by its search attribute, read its summary, pause it with the
 * UI's "Send a Signal", see that it stops advancing (the store's position and counters hold still), resume
 * it and lift its throttle the same way, and it completes. A screenshot of each step goes to test-results/.
 * The suite's shared dev server is headless, so this file starts its own with the UI.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunRecord } from '../activities';
import { staticConnections } from '../connectors/connections';
import { migrate } from '../store/migrate';
import { createPool } from '../store/store';
import { type DevServer, startDevServer } from '../dev/devServer';
import { createWorker } from '../worker';
import { importMetadata } from '../workflows/userMetadata';
import { IMPORT_WORKFLOW_TYPE, importWorkflowId, progressQuery } from '../workflows/definitions';
import { SEARCH_ATTRIBUTES } from '../temporal/searchAttributes';
import { count, freshDatabase, uniqueId } from './helpers/harness';
import { harnessPolicy } from './helpers/policy';
import { createEventSource, eventSpec, sleep, waitFor } from './helpers/backfill';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHOTS = path.join(ROOT, 'test-results');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROWS = 40_000;

let server: DevServer;
let client: Client;
let connection: Connection;
let running: { worker: Worker; done: Promise<void>; close(): Promise<void> } | null = null;
let browser: Browser;
let store: ReturnType<typeof createPool>;
let source: ReturnType<typeof createPool>;
let sourceUrl: string;
const taskQueue = `test-webui-${Date.now()}`;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  server = await startDevServer({ headless: false });
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection, namespace: 'default' });
  const storeUrl = await freshDatabase('webui_store');
  sourceUrl = await freshDatabase('webui_src');
  store = createPool(storeUrl);
  await migrate(store);
  source = createPool(sourceUrl);
  const { worker, close } = await createWorker({
    temporalAddress: server.address,
    namespace: 'default',
    taskQueue,
    store,
    resolveConnection: staticConnections({ warehouse: sourceUrl }),
    policy: harnessPolicy(),
  });
  running = { worker, done: worker.run(), close };
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  if (running) {
    running.worker.shutdown();
    await running.done;
    await running.close();
  }
  await connection?.close();
  await store?.end();
  await source?.end();
  await server?.stop();
});

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `webui-${name}.png`), fullPage: false });
}

/** The text the page shows, its frames included (the UI renders user markdown in sandboxed frames). */
async function shownText(page: Page): Promise<string> {
  const texts = await Promise.all(
    page.frames().map((f) => f.evaluate<string>('document.body ? document.body.innerText : ""').catch(() => '')),
  );
  return texts.join('\n');
}

/** "More Actions" → "Send a Signal" → pick the signal the workflow declares → JSON input → Submit, as an operator would. */
async function sendSignal(page: Page, name: string, input?: string): Promise<void> {
  await page.getByRole('button', { name: 'More Actions' }).click();
  await page.locator('[data-testid="signal-button"]:visible').first().click();
  const modal = page.locator('dialog[open][data-testid="signal-confirmation-modal"]');
  await modal.waitFor({ state: 'visible' });
  // The UI lists the signals the workflow declares (with their descriptions) from its metadata query.
  await modal.getByTestId('signal-select-button').click();
  await modal
    .getByRole('option')
    .filter({ has: page.getByText(name, { exact: true }) })
    .first()
    .click();
  if (input !== undefined) {
    await modal.locator('[contenteditable="true"]').first().click();
    await page.keyboard.type(input);
  }
  await shot(page, `signal-${name}`);
  await modal.getByTestId('confirm-modal-button').click();
  await modal.waitFor({ state: 'detached' });
}

it('finds a running import by its search attribute, pauses, resumes and completes it from the Web UI', async () => {
  await createEventSource(source, ROWS);
  const spec = eventSpec(uniqueId('webui'), 'events_src', 4000);
  const meta = importMetadata(spec);
  // Throttled to 1,500 rows/s, so it is still running while the browser works.
  const handle = await client.workflow.start(IMPORT_WORKFLOW_TYPE, {
    taskQueue,
    workflowId: importWorkflowId(spec.id),
    args: [{ spec, control: { rowsPerSecond: 1500 } }],
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.importId, value: spec.id },
      { key: SEARCH_ATTRIBUTES.dataType, value: spec.dataType },
    ],
    ...meta,
  });
  await waitFor(
    'the first batch',
    () => handle.query(progressQuery),
    (p) => p.rowsRead > 0,
    60_000,
  );

  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  try {
    // Find it by search attribute, typed into the list's query box.
    await page.goto(`${server.uiUrl}/namespaces/default/workflows`);
    await page.getByTestId('toggle-manual-query').click();
    const queryBox = page.locator('#manual-search, input[name="query"], textarea').first();
    await queryBox.fill(`TributaryImportId = "${spec.id}"`);
    await queryBox.press('Enter');
    const link = page.getByRole('link', { name: handle.workflowId, exact: true });
    await link.waitFor({ timeout: 30_000 });
    await shot(page, 'search');
    await link.click();
    await page.getByText(meta.staticSummary).first().waitFor({ timeout: 30_000 });
    await shot(page, 'workflow');

    await sendSignal(page, 'pause');
    const paused = await waitFor(
      'paused',
      () => handle.query(progressQuery),
      (p) => p.stage === 'paused',
      60_000,
    );
    expect(paused.rowsRead).toBeLessThan(ROWS);
    const held = async () => ({
      position: (
        await store.query("SELECT cursor_value, key_value FROM positions WHERE import_id = $1 AND stream = ''", [
          spec.id,
        ])
      ).rows[0],
      batches: await count(store, 'SELECT batches FROM runs WHERE import_id = $1', [spec.id]),
      events: await count(store, 'SELECT count(*) FROM events WHERE import_id = $1', [spec.id]),
    });
    const before = await held();
    await sleep(4000);
    expect(await held()).toEqual(before);
    expect(before.events).toBe(paused.rowsRead);
    // The User Metadata tab: the static summary and details (what, from where, the mapping) and the
    // workflow's current details, which show it paused with its rows.
    await page.reload();
    await page.getByText('User Metadata', { exact: true }).first().click();
    await waitFor(
      'the summary, details and current details shown',
      () => shownText(page),
      (t) => /Mapping\s+userId/.test(t) && /Stage\s+paused/.test(t),
      30_000,
      500,
    );
    await shot(page, 'paused');

    await sendSignal(page, 'resume');
    await waitFor(
      'moving again',
      () => handle.query(progressQuery),
      (p) => p.rowsRead > paused.rowsRead,
      60_000,
    );
    await sendSignal(page, 'throttle', '{"rowsPerSecond": null}');
    const run = (await handle.result()) as RunRecord;
    expect(run).toMatchObject({ status: 'succeeded', rowsRead: ROWS, created: ROWS, rejected: 0 });
    expect(await count(store, 'SELECT count(*) FROM events WHERE import_id = $1', [spec.id])).toBe(ROWS);
    await page.reload();
    await page.getByText('Completed').first().waitFor({ timeout: 30_000 });
    await shot(page, 'completed');
  } catch (err) {
    await shot(page, 'failure').catch(() => undefined);
    writeFileSync(path.join(SHOTS, 'webui-failure.html'), await page.content().catch(() => ''));
    throw err;
  } finally {
    await page.close();
  }
});
