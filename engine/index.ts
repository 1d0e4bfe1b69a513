/**
 * The import engine's entry for callers outside the Temporal shell (the API): a dry run, the relation a
 * spec reads, the mapping check, and the own-termination retry. Activities may use the engine's modules directly;
 * everything else comes through here, so the engine's internals can move without touching its callers.
 */
export { dryRun, type DryRunResult, type DryRunRowError } from './dryRun';
export { relationOf } from './extract';
export { type MappingProblem, mappingProblems, problemText } from './mappingCheck';
export { retryOnceIfOwnTermination } from './ownTermination';
