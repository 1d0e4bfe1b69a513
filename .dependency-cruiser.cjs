/**
 * The architecture's import rules, checked by `npm run check`:
 * - workflows run in Temporal's sandbox: of the rest of the code they import only types;
 * - the engine is free of Temporal and of the shell around it (activities, workflows, API, plugin);
 * - sources (connectors/) and the store (store/) import nothing from the engine or the Temporal shell,
 *   and the store imports no source;
 * - the API reaches the engine only through engine/index.ts;
 * - a data type's spec (dataTypes/<type>/spec.ts, and the spec registry dataTypes/specs.ts) imports only
 *   domain/ and zod: the workflow bundle imports it, through domain/importSpec.ts, the one module of domain/
 *   that imports from dataTypes/ (the spec registry alone);
 * - the rest of a data type (its mapping, merge and purge) sits beside the engine: free of the shell and of
 *   Temporal, no source, and of the engine only the mapping kit (engine/mapValidate.ts);
 * - the store imports nothing from dataTypes/ (the data types' merges use the store's helpers, not the
 *   other way round), and the API takes from dataTypes/ only the spec registry;
 * - statements on the store are the store's: the shell and the engine use `pg` for its types only;
 * - no cycles.
 */
const SHELL = '^(activities|workflows|api|plugin|client|bin|worker\\.ts|index\\.ts)';
const SOURCES = '^connectors/(postgres|mysql|clickhouse|snowflake|bigquery|files|warehouses|registry)';
/** A data type's spec, or the spec registry. */
const DATA_TYPE_SPECS = 'dataTypes/([^/]+/spec|specs)\\.ts$';

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
      to: {
        path: '^(activities|engine|dataTypes|connectors|store|api|plugin|client|bin|scripts|worker\\.ts|index\\.ts)',
        dependencyTypesNot: ['type-only'],
      },
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
      comment: 'Sources and the store are used by the engine, the data types and the shell, never the other way round.',
      severity: 'error',
      from: { path: '^(connectors|store)/' },
      to: { path: `${SHELL}|^engine/|^dataTypes/` },
    },
    {
      name: 'data-type-specs-import-only-domain',
      comment:
        "The workflow bundle imports the data types' specs (through domain/importSpec.ts): no Node built-ins, no store, no engine.",
      severity: 'error',
      from: { path: `^${DATA_TYPE_SPECS}` },
      to: { pathNot: `^(domain/|${DATA_TYPE_SPECS})|(^|/)node_modules/zod/` },
    },
    {
      name: 'domain-imports-only-data-type-specs',
      comment: "The import spec joins the data types' specs; the rest of a data type is above the domain.",
      severity: 'error',
      from: { path: '^domain/' },
      to: { path: '^dataTypes/', pathNot: `^${DATA_TYPE_SPECS}` },
    },
    {
      name: 'data-types-beside-the-engine',
      comment:
        'A data type maps, merges and purges without Temporal, the shell or a source; of the engine it takes only the mapping kit.',
      severity: 'error',
      from: { path: '^dataTypes/' },
      to: { path: `${SHELL}|^node_modules/@temporalio/|${SOURCES}|^engine/(?!mapValidate\\.ts$)` },
    },
    {
      name: 'api-takes-only-data-type-specs',
      comment: 'The API builds its bodies from the spec registry; it loads and checks through the engine.',
      severity: 'error',
      from: { path: '^api/' },
      to: { path: '^dataTypes/', pathNot: `^${DATA_TYPE_SPECS}` },
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
      comment: 'The API calls the engine through engine/index.ts, not its internals.',
      severity: 'error',
      from: { path: '^api/' },
      to: { path: '^engine/', pathNot: '^engine/index\\.ts$' },
    },
    {
      name: 'store-owns-its-sql',
      comment:
        'Statements on the store live in store/ modules, each with the invariant it keeps; elsewhere pg is a type (test/unit/storeOwnsSql.test.ts checks the calls).',
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
