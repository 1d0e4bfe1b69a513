/**
 * Starts the real parts once for the whole test run: a Temporal dev server (in memory, with the
 * project's search attributes) and an embedded Postgres cluster. Test files create their own databases.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../store/embeddedPostgres';
import { freePort, startDevServer } from '../../dev/devServer';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalUi: string;
    pgAdminUrl: string;
    pgPort: number;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-test-'));
  const pgPort = await freePort();
  const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), port: pgPort, settings: { fsync: 'off' } });
  const temporal = await startDevServer({ headless: true });
  project.provide('temporalAddress', temporal.address);
  project.provide('temporalUi', temporal.uiUrl);
  project.provide('pgAdminUrl', pg.url('postgres'));
  project.provide('pgPort', pgPort);
  return async () => {
    await temporal.stop();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
