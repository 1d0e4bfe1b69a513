/**
 * The workflow bundle, built in a short-lived child process. Bundling (webpack) peaks near 300 MB; done
 * inside the worker, that peak would stay its high-water mark for its whole life. Built aside, the
 * worker only loads the finished code. Also runnable on its own to prebuild a bundle (for an image):
 *   node --import tsx temporal/workflowBundle.ts <out.js>
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const THIS_FILE = fileURLToPath(import.meta.url);
export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export async function writeWorkflowBundle(outFile: string): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
  writeFileSync(outFile, code);
}

/** Build the bundle in a child process and return its path (TRIBUTARY_WORKFLOW_BUNDLE: use a prebuilt one). */
export function workflowBundleInChildProcess(): string {
  const prebuilt = process.env.TRIBUTARY_WORKFLOW_BUNDLE;
  if (prebuilt) return prebuilt;
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'tributary-workflows-')), 'workflows.js');
  execFileSync(process.execPath, ['--import', 'tsx', THIS_FILE, out], { stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}

if (process.argv[1] && THIS_FILE === process.argv[1]) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node --import tsx temporal/workflowBundle.ts <out.js>');
    process.exit(2);
  }
  writeWorkflowBundle(out).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
