/**
 * Inside a workflow: which names to schedule activities and child workflows under. A run (or the part of
 * a run) recorded before PREFIXED_NAMES_PATCH replays under the bare names it scheduled then; everything
 * executed afresh uses the prefixed ones. Both sets are registered by a dedicated worker, so a run that
 * was under way when the worker was upgraded goes on under the new names from where it was.
 */
import { type ActivityOptions, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { LEGACY_WORKFLOW_TYPES, PREFIXED_NAMES_PATCH, prefixedActivityName, WORKFLOW_TYPES } from './names';

const prefixedNames = (): boolean => patched(PREFIXED_NAMES_PATCH);

/** The type to start a child workflow of Tributary's under. */
export function childWorkflowType(kind: keyof typeof WORKFLOW_TYPES): string {
  return prefixedNames() ? WORKFLOW_TYPES[kind] : LEGACY_WORKFLOW_TYPES[kind];
}

type AnyActivity = (...args: unknown[]) => Promise<unknown>;

/**
 * proxyActivities, addressed by the activities' own names (`beginRun`), scheduled under the registered
 * name that this point of the history calls for. The choice is made at each call, not at module load:
 * patched() belongs to the moment a command is issued.
 */
export function proxyTributaryActivities(options: ActivityOptions): Activities {
  const byName = proxyActivities<Record<string, AnyActivity>>(options);
  return new Proxy({} as Activities, {
    get: (_target, name) =>
      typeof name === 'string'
        ? (...args: unknown[]) => byName[prefixedNames() ? prefixedActivityName(name) : name]!(...args)
        : undefined,
  });
}
