/**
 * The import engine's entry for callers outside the Temporal shell (the API): a dry run, the check that a
 * relation is readable, and the own-termination retry. Activities may use the engine's modules directly;
 * everything else comes through here, so the engine's internals can move without touching its callers.
 */
export { dryRun, type DryRunResult, type DryRunRowError } from './dryRun';
export { checkColumns, relationOf } from './extract';
export { retryOnceIfOwnTermination } from './ownTermination';
export { type ActivityDeps as EngineDeps, openSource } from './deps';
