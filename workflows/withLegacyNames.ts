// A dedicated Tributary worker's entry point: the prefixed workflow types, and the same functions under
// the bare names runs were started with before the prefix, so those runs keep a worker to run on.
export * from './index';
export { importWorkflow } from './importWorkflow';
export { purgeWorkflow } from './purgeWorkflow';
export { webhookWorkflow } from './webhookWorkflow';
export { backfillWorkflow } from './backfillWorkflow';
export { dropFolderWorkflow } from './dropFolderWorkflow';
