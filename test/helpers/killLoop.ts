/**
 * The crash tests' loop: wait until the running worker has committed progress, kill it with SIGKILL at a
 * random instant, start a new one; `kills` times, or until the import finishes. Progress is read from
 * the store (a killed worker cannot answer queries). Returns the committed rows at each kill.
 */
import { spawnWorker, type WorkerProcess } from './workerProcess';
import { sleep } from './wait';

export async function killRepeatedly(options: {
  /** The worker that is running now; `onRestart` is told each new one (to kill it at the end). */
  worker: WorkerProcess;
  env: Record<string, string>;
  kills: number;
  committedRows: () => Promise<number>;
  finished: () => boolean;
  onRestart: (worker: WorkerProcess) => void;
}): Promise<number[]> {
  let worker = options.worker;
  const killedAt: number[] = [];
  for (let k = 0; k < options.kills; k++) {
    // Wait until this worker has moved the import on, then kill it at a random instant.
    const before = await options.committedRows();
    const deadline = Date.now() + 120_000;
    while (!options.finished() && (await options.committedRows()) <= before) {
      if (Date.now() > deadline) throw new Error(`no progress after restart:\n${worker.output()}`);
      await sleep(100);
    }
    await sleep(Math.floor(Math.random() * 1500));
    if (options.finished()) break;
    await worker.kill('SIGKILL');
    killedAt.push(await options.committedRows());
    worker = await spawnWorker(options.env);
    options.onRestart(worker);
  }
  return killedAt;
}
