import { chromium } from 'playwright-core';
import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../temporal/devServer';
import { writeFileSync } from 'node:fs';

async function main() {
const server = await startDevServer({ headless: false });
console.log('server', server.address, server.uiUrl, 'pid', server.process.pid);
writeFileSync('/tmp/bfui/server.pid', String(server.process.pid));
const client = new Client({ connection: await Connection.connect({ address: server.address }) });
await client.workflow.start('importWorkflow', { taskQueue: 'nobody', workflowId: 'import:explore', args: [{}],
  typedSearchAttributes: [], staticSummary: 'hello summary', staticDetails: '**bold** details' });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
await page.goto(`${server.uiUrl}/namespaces/default/workflows`);
await page.waitForTimeout(4000);
await page.screenshot({ path: '/tmp/bfui/list.png' });
writeFileSync('/tmp/bfui/list.html', await page.content());
await page.goto(`${server.uiUrl}/namespaces/default/workflows/import:explore`);
await page.waitForTimeout(4000);
await page.screenshot({ path: '/tmp/bfui/wf.png' });
writeFileSync('/tmp/bfui/wf.html', await page.content());
await browser.close();
await server.stop();
process.exit(0);
}
main().catch((e) => { console.error(e); process.exit(1); });
