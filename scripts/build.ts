/**
 * npm run build: the library as ESM JavaScript with type declarations in dist/. tsc compiles (the
 * sources import each other without extensions, as the bundler resolution allows); Node's ESM loader
 * needs the full file name, so each relative specifier in the output is completed here ('./x' ->
 * './x.js' or './x/index.js', whichever exists). The SQL migrations, read at run time, are copied to the same
 * place under dist/: the store's (store/migrations/) and each data type's (dataTypes/<type>/), as the
 * migrator lists them, so the built package finds them as the repository does.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrationFiles } from '../store/migrate';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) yield* files(full);
    else if (/\.(js|d\.ts)$/.test(entry)) yield full;
  }
}

/** './x' -> './x.js' or './x/index.js', as found next to the importing file; anything else unchanged. */
function completed(fromFile: string, specifier: string): string {
  if (!specifier.startsWith('.') || /\.(js|json|cjs|mjs)$/.test(specifier)) return specifier;
  const base = path.resolve(path.dirname(fromFile), specifier);
  if (existsSync(`${base}.js`)) return `${specifier}.js`;
  if (existsSync(path.join(base, 'index.js'))) return `${specifier}/index.js`;
  throw new Error(`build: ${path.relative(ROOT, fromFile)} imports "${specifier}", which is not in dist/`);
}

rmSync(DIST, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')],
  { stdio: 'inherit' },
);
// Declarations also name the folder itself (`import(".")`).
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}(?:\/[^'"]*)?)\2/g;
for (const file of files(DIST)) {
  const text = readFileSync(file, 'utf8');
  const out = text.replace(
    SPECIFIER,
    (_m, head: string, quote: string, spec: string) => `${head}${quote}${completed(file, spec)}${quote}`,
  );
  if (out !== text) writeFileSync(file, out);
}
for (const { file } of migrationFiles()) cpSync(file, path.join(DIST, path.relative(ROOT, file)));
console.log(`build: dist/ written`);
