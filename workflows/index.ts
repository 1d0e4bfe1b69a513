// The workflow bundle's entry point: every workflow Tributary registers, under its prefixed type name.
// A user's worker merges these with its own workflows (see plugin.ts).
export { importWorkflow as tributaryImport } from './importWorkflow';
export { purgeWorkflow as tributaryPurge } from './purgeWorkflow';
export { webhookWorkflow as tributaryWebhook } from './webhookWorkflow';
export { backfillWorkflow as tributaryBackfill } from './backfillWorkflow';
export { dropFolderWorkflow as tributaryDropFolder } from './dropFolderWorkflow';
