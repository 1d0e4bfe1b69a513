/**
 * A Node 22 binary, from the npm package `node` (its install script fetches the binary of this platform),
 * kept under ~/.cache/tributary so it is installed once per machine.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from './command';

const DIR = path.join(os.homedir(), '.cache', 'tributary', 'node22');
const BIN = path.join(DIR, 'node_modules', 'node', 'bin', 'node');

export async function node22(): Promise<string> {
  if (existsSync(BIN) && (await runCommand(BIN, ['-v'], { cwd: DIR })).startsWith('v22.')) return BIN;
  mkdirSync(DIR, { recursive: true });
  // npm runs a dependency's install script only where the project allows it.
  writeFileSync(
    path.join(DIR, 'package.json'),
    `${JSON.stringify({ name: 'tributary-node22', private: true, allowScripts: { node: true } }, null, 2)}\n`,
  );
  await runCommand('npm', ['install', '--no-audit', '--no-fund', 'node@22'], { cwd: DIR });
  const version = await runCommand(BIN, ['-v'], { cwd: DIR });
  if (!version.startsWith('v22.')) throw new Error(`node@22 from npm installed ${BIN}, which is ${version.trim()}`);
  return BIN;
}
