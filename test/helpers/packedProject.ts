/**
 * A project of a user's own, outside this repository, with Tributary installed from the tarball `npm pack`
 * makes: what a user installing the published package gets. The project's files are a folder of examples/,
 * so the example is what is tested.
 *
 * Installing takes a minute or more, so the installed project is kept in the temp folder under a name made
 * of the tarball's hash and the example's package.json: the next run with the same build reuses it (its
 * files are copied again from examples/), a new build or new dependencies get a fresh one. `npm pack` is
 * reproducible (fixed file times), so an unchanged build packs to the same hash.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from './command';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE = path.join(os.tmpdir(), 'tributary-pack');
const INSTALLED = '.tributary-installed';

export interface PackedProject {
  dir: string;
  tarball: string;
  /** False when this run installed it. */
  reused: boolean;
}

/** The example's own files: not what an install adds, nor a tarball a newcomer packed into it. */
const exampleFiles = (from: string): boolean => !/(^|\/)(node_modules|package-lock\.json|[^/]*\.tgz)$/.test(from);

export async function packedProject(exampleDir: string): Promise<PackedProject> {
  // Built here, so the pack skips its prepack build (whose output would precede the JSON).
  await runCommand('npm', ['run', 'build'], { cwd: ROOT });
  const staging = mkdtempSync(path.join(os.tmpdir(), 'tributary-pack-staging-'));
  try {
    const packed = JSON.parse(
      await runCommand('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', staging], { cwd: ROOT }),
    ) as { filename: string }[];
    const tarballName = packed[0]!.filename;
    const key = createHash('sha256')
      .update(readFileSync(path.join(staging, tarballName)))
      .update(readFileSync(path.join(exampleDir, 'package.json')))
      .digest('hex')
      .slice(0, 16);
    const dir = path.join(CACHE, key);
    const tarball = path.join(dir, tarballName);
    if (existsSync(path.join(dir, INSTALLED))) {
      cpSync(exampleDir, dir, {
        recursive: true,
        filter: (from) => exampleFiles(from) && path.basename(from) !== 'package.json',
      });
      return { dir, tarball, reused: true };
    }
    // Installed aside and renamed into place whole: an interrupted install is never taken for a finished one.
    const building = `${dir}.partial-${process.pid}`;
    rmSync(building, { recursive: true, force: true });
    cpSync(exampleDir, building, { recursive: true, filter: exampleFiles });
    renameSync(path.join(staging, tarballName), path.join(building, tarballName));
    await runCommand('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${tarballName}`], {
      cwd: building,
      env: npmEnv(),
    });
    writeFileSync(path.join(building, INSTALLED), `${new Date().toISOString()}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(building, dir);
    // Projects of older builds (half a gigabyte each), and installs a killed run left half done.
    for (const other of readdirSync(CACHE)) {
      const installer = /\.partial-(\d+)$/.exec(other)?.[1];
      if (other !== key && (!installer || !alive(Number(installer))))
        rmSync(path.join(CACHE, other), { recursive: true, force: true });
    }
    return { dir, tarball, reused: false };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** npm as a user runs it: not with the settings npm gives the scripts it runs (npm_config_*, of this repository). */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}
