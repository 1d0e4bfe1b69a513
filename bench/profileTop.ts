/**
 * `npx tsx bench/profileTop.ts <file.cpuprofile> [top] [from_s] [to_s]`: the functions a V8 CPU profile (node --cpu-prof,
 * e.g. the bench's worker with --worker-node-args="… --cpu-prof --cpu-prof-dir=DIR") spent the most
 * self time in, with their share of the samples not idle, by function and by file; from_s and to_s (seconds
 * since the profile's start) keep only that window, e.g. the import without the worker's startup.
 * Line numbers are those of the code V8 ran (tsx's output), not of the TypeScript source.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
}

const [file, topArg, fromArg, toArg] = process.argv.slice(2);
if (!file) throw new Error('usage: tsx bench/profileTop.ts <file.cpuprofile> [top]');
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
// Self time per node: each sample's time delta goes to the node it landed in.
const selfUs = new Map<number, number>();
const from = fromArg ? Number(fromArg) * 1e6 : -Infinity;
const to = toArg ? Number(toArg) * 1e6 : Infinity;
let at = 0;
profile.samples.forEach((id, i) => {
  const dt = Math.max(0, profile.timeDeltas[i] ?? 0);
  at += dt;
  if (at >= from && at <= to) selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
});

const root = process.cwd();
const where = (n: Node): string => {
  const url = n.callFrame.url.replace(/^file:\/\//, '');
  const rel = url.startsWith(root) ? path.relative(root, url) : url.replace(/.*node_modules\//, 'node_modules/');
  return rel ? `${rel}:${n.callFrame.lineNumber + 1}` : '(native)';
};
const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
let idle = 0;
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  total += us;
  const name = n.callFrame.functionName || '(anonymous)';
  if (name === '(idle)') {
    idle += us;
    continue;
  }
  const key = `${name} ${where(n)}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const f = where(n).replace(/:\d+$/, '');
  byFile.set(f, (byFile.get(f) ?? 0) + us);
}
const busy = total - idle;
const pct = (us: number, of: number) => `${((100 * us) / of).toFixed(1).padStart(5)}%`;
process.stdout.write(
  `profile ${file}${fromArg ? ` from ${fromArg} s` : ''}${toArg ? ` to ${toArg} s` : ''}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s not idle\n`,
);
process.stdout.write(`top ${top} functions by self time (share of not-idle time):\n`);
for (const [k, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  process.stdout.write(`  ${pct(us, busy)}  ${(us / 1e3).toFixed(0).padStart(7)} ms  ${k}\n`);
}
process.stdout.write('top files by self time:\n');
for (const [k, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  process.stdout.write(`  ${pct(us, busy)}  ${(us / 1e3).toFixed(0).padStart(7)} ms  ${k}\n`);
}
