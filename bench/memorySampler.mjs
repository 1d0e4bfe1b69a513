/**
 * Opt-in (BENCH_WORKER_MEMORY=1): preloaded into the bench's worker (plain JavaScript: node loads it before
 * tsx is registered in every thread), prints `worker-memory:` with process.memoryUsage() each time the
 * resident set reaches a new peak, so a run shows where the peak RSS sits: the JavaScript heap, Buffers and
 * ArrayBuffers (external), or neither (native allocations: `other`).
 */
import { getHeapSpaceStatistics } from 'node:v8';
import { isMainThread } from 'node:worker_threads';

const MB = 1024 * 1024;
const EVERY_MS = 100;
let peak = 0;

const mb = (n) => (n / MB).toFixed(0);
/** The heap's spaces that hold more than a megabyte: name=committed/used. */
const spaces = () =>
  getHeapSpaceStatistics()
    .filter((s) => s.space_size >= MB)
    .map((s) => `${s.space_name.replace(/_space$/, '')}=${mb(s.space_size)}/${mb(s.space_used_size)}`)
    .join(',');
const sample = () => {
  const m = process.memoryUsage();
  if (m.rss <= peak + MB) return;
  peak = m.rss;
  process.stderr.write(
    `worker-memory: rss=${mb(m.rss)} heapTotal=${mb(m.heapTotal)} heapUsed=${mb(m.heapUsed)} external=${mb(m.external)} arrayBuffers=${mb(m.arrayBuffers)} other=${mb(m.rss - m.heapTotal - m.external)} spaces=${spaces()}\n`,
  );
};
if (isMainThread) setInterval(sample, EVERY_MS).unref();
