/**
 * TributaryPlugin: Tributary's workflows and activities on a worker of the user's own, through the SDK's
 * plugin interface (`Worker.create({ ..., plugins: [new TributaryPlugin()] })`).
 *
 * - configureWorker adds the activities (createActivities, registered under their prefixed names) and the
 *   workflows, beside the user's: a workflowsPath of theirs becomes a generated module exporting both;
 *   none means Tributary's alone. A prebuilt workflowBundle cannot be extended here: its builder includes
 *   Tributary's workflows entry, and says so with `workflowBundleIncludesTributary`.
 * - runWorker opens the store (migrations under the store's advisory lock) before the worker polls, and
 *   closes the store and every source pool after it stops. Activities reach the store only while the
 *   worker runs, so they read it through `deps` at call time.
 */
import { SimplePlugin } from '@temporalio/plugin';
import type { ReplayWorkerOptions, Worker, WorkerOptions } from '@temporalio/worker';
import type pg from 'pg';
import { createActivities, registeredActivities, type ActivityDeps } from '../activities';
import { type OperatorPolicy, operatorPolicyFromEnv } from '../connectors/common/operatorPolicy';
import { envConnections } from '../connectors/connections';
import { createSourceConnectors, type SourceConnectors } from '../connectors/registry';
import { secretKeyFrom } from '../connectors/secrets';
import type { ConnectionResolver, SourceConnector } from '../connectors/source';
import { composeResolvers, storedConnections } from '../connectors/storedConnections';
import { migrate } from '../store/migrate';
import { openStore } from '../store/store';
import { dropEmbeddedPostgresSignalHooks } from '../store/embeddedPostgres';
import { TRIBUTARY_WORKFLOWS_PATH, WORKFLOWS_PATH } from '../temporal/workflowBundle';
import { ensureSearchAttributes } from '../temporal/client';
import { mergedWorkflowsModule } from './mergedWorkflows';

export interface TributaryPluginOptions {
  /**
   * The store. A pool: yours (migrated when the worker starts, left open after). Otherwise the plugin
   * opens `databaseUrl` (default DATABASE_URL, else embedded Postgres under `dataDir`) and closes it.
   */
  store?: pg.Pool;
  databaseUrl?: string;
  dataDir?: string;
  /** How a spec's `source.connection` is opened (default: stored by the API, then TRIBUTARY_CONNECTION_<NAME>). */
  resolveConnection?: ConnectionResolver;
  /** Connectors beside (or instead of) the built-in ones, by kind. */
  connectors?: Record<string, SourceConnector>;
  /** What sources may reach (default: the operator's, from the environment). */
  policy?: OperatorPolicy;
  /** Opens stored connections and webhook secrets (default: TRIBUTARY_SECRET_KEY). */
  secretKey?: Buffer | null;
  /**
   * Also register the names from before the prefix (`importWorkflow`, `beginRun`, ...): for a worker on a
   * task queue of Tributary's own that replaces an older Tributary worker. Never on a shared worker.
   */
  legacyNames?: boolean;
  /**
   * Register Tributary's search attributes in the worker's namespace when the worker starts, where they are
   * missing (through the operator service; idempotent). A connection that may not gets a warning in `log`
   * with the exact commands to run; the worker starts anyway, since they may exist but be unlistable.
   */
  registerSearchAttributes?: boolean;
  /** A prebuilt workflowBundle given to the worker already contains Tributary's workflows entry. */
  workflowBundleIncludesTributary?: boolean;
  log?: (message: string) => void;
}

export class TributaryPlugin extends SimplePlugin {
  private readonly settings: TributaryPluginOptions;
  private readonly policy: OperatorPolicy;
  private readonly sources: SourceConnectors;
  private store: pg.Pool | null = null;
  private resolver: ConnectionResolver | null = null;
  /** What the activities are built from; the store and resolver exist while the worker runs. */
  readonly deps: ActivityDeps;

  constructor(options: TributaryPluginOptions = {}) {
    super({ name: 'tributary' });
    this.settings = options;
    this.policy = options.policy ?? operatorPolicyFromEnv();
    this.sources = createSourceConnectors({ policy: this.policy });
    const running = <T>(value: T | null, what: string): T => {
      if (value === null)
        throw new Error(`TributaryPlugin: the ${what} is open only while the worker runs (worker.run())`);
      return value;
    };
    const openStorePool = (): pg.Pool => running(this.store, 'store');
    this.deps = {
      get store() {
        return openStorePool();
      },
      resolveConnection: (name) => running(this.resolver, 'connection resolver')(name),
      connectors: { ...this.sources.connectors, ...options.connectors },
      secretKey: options.secretKey,
      policy: this.policy,
    };
  }

  override configureWorker(options: WorkerOptions): WorkerOptions {
    const ours = registeredActivities(createActivities(this.deps), { legacyNames: this.settings.legacyNames });
    const theirs = (options.activities ?? {}) as Record<string, unknown>;
    const clash = Object.keys(ours).filter((name) => name in theirs);
    if (clash.length > 0) {
      throw new Error(
        `TributaryPlugin: the worker already registers activities named ${clash.join(', ')}, which are Tributary's`,
      );
    }
    return { ...options, ...this.workflows(options), activities: { ...theirs, ...ours } };
  }

  override configureReplayWorker(options: ReplayWorkerOptions): ReplayWorkerOptions {
    return { ...options, ...this.workflows(options) };
  }

  override async runWorker(worker: Worker, next: (w: Worker) => Promise<void>): Promise<void> {
    if (this.store) throw new Error('TributaryPlugin: this plugin already runs a worker; give each worker its own');
    if (this.settings.registerSearchAttributes) await this.registerSearchAttributes(worker);
    let close = async (): Promise<void> => {};
    if (this.settings.store) {
      await migrate(this.settings.store);
      this.store = this.settings.store;
    } else {
      const opened = await openStore({
        databaseUrl: this.settings.databaseUrl,
        dataDir: this.settings.dataDir,
        log: this.settings.log,
      });
      this.store = opened.pool;
      close = opened.close;
      // An embedded store is stopped by close() below once the worker has drained on a signal; the
      // library's own signal hooks would exit the user's process at once instead.
      dropEmbeddedPostgresSignalHooks();
    }
    this.resolver =
      this.settings.resolveConnection ??
      composeResolvers(
        storedConnections(
          this.store,
          this.settings.secretKey === undefined ? secretKeyFrom() : this.settings.secretKey,
        ),
        envConnections(),
      );
    try {
      await next(worker);
    } finally {
      this.resolver = null;
      this.store = null;
      await this.sources.closeAll();
      await close();
    }
  }

  private async registerSearchAttributes(worker: Worker): Promise<void> {
    const log = this.settings.log ?? ((line: string) => console.warn(line));
    const connection = worker.connection;
    if (!connection) throw new Error('TributaryPlugin: registerSearchAttributes needs a worker with a connection');
    const namespace = worker.options.namespace;
    const result = await ensureSearchAttributes({ connection }, namespace);
    if (result.status === 'registered')
      log(`tributary: registered search attributes ${result.added.join(', ')} in namespace ${namespace}`);
    if (result.status === 'not-allowed') {
      log(
        `tributary: namespace ${namespace} may lack search attributes ${result.missing.join(', ')}, and this worker's connection may not add them (${result.reason}). Imports fail at their first update until they exist. Run, with an account that may:\n${result.commands.map((c) => `  ${c}`).join('\n')}`,
      );
    }
  }

  /** The workflows option: the user's with Tributary's, or Tributary's alone. */
  private workflows(options: { workflowsPath?: string; workflowBundle?: unknown }): { workflowsPath?: string } {
    if (options.workflowBundle) {
      if (this.settings.workflowBundleIncludesTributary) return {};
      throw new Error(
        'TributaryPlugin: the worker was given a prebuilt workflowBundle, which the plugin cannot add its workflows to. ' +
          `Build the bundle from a module that also does \`export * from '${TRIBUTARY_WORKFLOWS_PATH}'\` ` +
          "(Tributary's workflows entry), then pass workflowBundleIncludesTributary: true to the plugin; or give the worker a workflowsPath instead.",
      );
    }
    const tributary = this.settings.legacyNames ? WORKFLOWS_PATH : TRIBUTARY_WORKFLOWS_PATH;
    return {
      workflowsPath: options.workflowsPath
        ? mergedWorkflowsModule(options.workflowsPath, undefined, tributary)
        : tributary,
    };
  }
}
