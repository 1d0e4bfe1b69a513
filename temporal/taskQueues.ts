/** Task queue names. The worker and every client that starts an import use these. */
export const IMPORT_TASK_QUEUE = process.env.TRIBUTARY_TASK_QUEUE ?? 'tributary-imports';
