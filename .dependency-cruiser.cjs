/**
 * The architecture's import rules, checked by `npm run check`:
 * - workflows run in Temporal's sandbox: of the rest of the code they import only types;
 * - the engine is free of Temporal and of the shell around it (activities, workflows, API, plugin);
 * - sources (connectors/) and the store (store/) import nothing from the engine or the Temporal shell,
 *   and the store imports no source;
 * - the API reaches the engine only through engine/index.ts;
 * - statements on the store are the store's: the shell and the engine use `pg` for its types only;
 * - no cycles.
 */
const SHELL = '^(activities|workflows|api|plugin|client|bin|worker\\.ts|index\\.ts)';
const SOURCES = '^connectors/(postgres|mysql|clickhouse|snowflake|bigquery|files|warehouses|registry)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle hides which module owns a rule; split the shared part into a module of its own.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'workflows-import-only-types',
      comment: 'Workflow code runs in the deterministic sandbox; activities are called through proxyActivities.',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: '^(activities|engine|connectors|store|api|plugin|client|bin|scripts|worker\\.ts|index\\.ts)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'engine-is-temporal-free',
      comment: 'The engine runs a batch without Temporal: heartbeats and retries belong to the activities.',
      severity: 'error',
      from: { path: '^engine/' },
      to: { path: `${SHELL}|^node_modules/@temporalio/` },
    },
    {
      name: 'connectors-below-the-engine',
      comment: 'Sources and the store are used by the engine and the shell, never the other way round.',
      severity: 'error',
      from: { path: '^(connectors|store)/' },
      to: { path: `${SHELL}|^engine/` },
    },
    {
      name: 'store-imports-no-source',
      comment: 'The store is the destination: it knows nothing of the sources.',
      severity: 'error',
      from: { path: '^store/' },
      to: { path: SOURCES },
    },
    {
      name: 'api-through-engine-entry',
      comment: "The API calls the engine through engine/index.ts, not its internals.",
      severity: 'error',
      from: { path: '^api/' },
      to: { path: '^engine/', pathNot: '^engine/index\\.ts$' },
    },
    {
      name: 'store-owns-its-sql',
      comment: 'Statements on the store live in store/ modules, each with the invariant it keeps; elsewhere pg is a type (test/unit/storeOwnsSql.test.ts checks the calls).',
      severity: 'error',
      from: { path: '^(api|activities|workflows|engine|client|plugin)/' },
      to: { path: '(^|/)node_modules/pg/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
