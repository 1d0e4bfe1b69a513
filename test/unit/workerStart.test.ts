/**
 * The worker's node flags and environment are declared once (worker.ts: WORKER_NODE_FLAGS, WORKER_ENV).
 * `npm run worker` and the Dockerfile cannot import them, so their start commands are checked here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../../worker';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

it('npm run worker starts node with the declared flags and, unless set already, the declared environment', () => {
  const script = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.worker!;
  const env = Object.entries(WORKER_ENV).map(([k, v]) => `${k}=\${${k}:-${v}}`);
  expect(script).toBe(`${env.join(' ')} node ${WORKER_NODE_FLAGS.join(' ')} --import tsx worker.ts`);
});

it('the Dockerfile sets the declared environment and starts node with the declared flags', () => {
  const dockerfile = read('Dockerfile');
  for (const [k, v] of Object.entries(WORKER_ENV)) expect(dockerfile).toMatch(new RegExp(`^ENV ${k}=${v}$`, 'm'));
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
  expect(cmd, "the Dockerfile's CMD").not.toBeNull();
  expect(JSON.parse(cmd![1]!)).toEqual(['node', ...WORKER_NODE_FLAGS, '--import', 'tsx', 'worker.ts']);
});
