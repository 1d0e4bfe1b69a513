/**
 * The names Tributary registers on a worker. Every activity and workflow type carries the `tributary`
 * prefix, so Tributary's workflows and activities can run on a user's own worker beside theirs (a user's
 * `importBatch` stays theirs). Runs started before the prefix used the bare names: a dedicated Tributary
 * worker still registers those (LEGACY_*), and the workflows choose between the two with
 * PREFIXED_NAMES_PATCH so histories recorded under the old names replay unchanged.
 */

/** One patch for every name a workflow schedules: its activities and the child workflows it starts. */
export const PREFIXED_NAMES_PATCH = 'tributary-prefixed-activity-names';

/** `beginRun` -> `tributaryBeginRun`: an identifier, so it reads like any other activity in a worker's list. */
export function prefixedActivityName(name: string): string {
  return `tributary${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

export const WORKFLOW_TYPES = {
  import: 'tributaryImport',
  backfill: 'tributaryBackfill',
  purge: 'tributaryPurge',
  webhook: 'tributaryWebhook',
  dropFolder: 'tributaryDropFolder',
} as const;

/** The names the same workflows had before the prefix (a dedicated worker still answers to them). */
export const LEGACY_WORKFLOW_TYPES = {
  import: 'importWorkflow',
  backfill: 'backfillWorkflow',
  purge: 'purgeWorkflow',
  webhook: 'webhookWorkflow',
  dropFolder: 'dropFolderWorkflow',
} as const satisfies Record<keyof typeof WORKFLOW_TYPES, string>;
