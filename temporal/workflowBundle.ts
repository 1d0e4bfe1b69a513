/**
 * The workflow bundle, built in a short-lived child process. Bundling (webpack) peaks near 300 MB; done
 * inside the worker, that peak would stay its high-water mark for its whole life. Built aside, the
 * worker only loads the finished code. Also runnable on its own to prebuild a bundle (for an image):
 *   node --import tsx temporal/workflowBundle.ts <out.js>
 * The bundle is kept in the temp folder under a name made of its content's hash: a restarted worker
 * writes the same file again, so however often the worker starts or is killed, one bundle per version
 * of the workflows stays there.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const THIS_FILE = fileURLToPath(import.meta.url);
/** The temp folder's bundles start with this (tests count them). */
export const BUNDLE_PREFIX = 'tributary-workflows-';
/** .ts when run from the sources, .js from the build (dist/): the workflow entries are beside this file's. */
const EXT = path.extname(THIS_FILE);
/** A dedicated worker's workflows: the prefixed types and the bare names of runs started before them. */
export const WORKFLOWS_PATH = fileURLToPath(new URL(`../workflows/withLegacyNames${EXT}`, import.meta.url));
/** Tributary's workflows under their prefixed types only: what a user's worker merges with its own. */
export const TRIBUTARY_WORKFLOWS_PATH = fileURLToPath(new URL(`../workflows/index${EXT}`, import.meta.url));

export async function writeWorkflowBundle(outFile: string): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
  writeFileSync(outFile, code);
}

/** Build the bundle in a child process and return its path (TRIBUTARY_WORKFLOW_BUNDLE: use a prebuilt one). */
export function workflowBundleInChildProcess(): string {
  const prebuilt = process.env.TRIBUTARY_WORKFLOW_BUNDLE;
  if (prebuilt) return prebuilt;
  // Built under a name of its own (workers may start side by side), then renamed to its content's name:
  // a rename is atomic, so a reader sees a whole bundle or none.
  const building = path.join(os.tmpdir(), `${BUNDLE_PREFIX}${process.pid}-${randomUUID()}.partial`);
  try {
    execFileSync(process.execPath, ['--import', 'tsx', THIS_FILE, building], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const hash = createHash('sha256').update(readFileSync(building)).digest('hex').slice(0, 16);
    const out = path.join(os.tmpdir(), `${BUNDLE_PREFIX}${hash}.js`);
    if (existsSync(out)) rmSync(building);
    else renameSync(building, out);
    return out;
  } finally {
    rmSync(building, { force: true });
  }
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
