// The workflow bundle's entry point: every workflow the worker registers.
export { importWorkflow } from './importWorkflow';
export { purgeWorkflow } from './purgeWorkflow';
export { webhookWorkflow } from './webhookWorkflow';
export { backfillWorkflow } from './backfillWorkflow';
export { dropFolderWorkflow } from './dropFolderWorkflow';
