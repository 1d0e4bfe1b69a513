/**
 * Ids, signals and inputs of the lifecycle workflows (purge of a deleted import, webhook delivery),
 * defined once and imported by the workflows, the API and tests. Deterministic code only.
 */
import { defineSignal } from '@temporalio/workflow';
import { WORKFLOW_TYPES } from './names';

export const PURGE_WORKFLOW_TYPE = WORKFLOW_TYPES.purge;
export const WEBHOOK_WORKFLOW_TYPE = WORKFLOW_TYPES.webhook;

/** One purge per import id: deleting twice finds the first purge still waiting. */
export const purgeWorkflowId = (importId: string): string => `purge:${importId}`;

export interface PurgeInput {
  importId: string;
  /** When the data is removed (ISO 8601): the deletion time plus the retention period. */
  purgeAt: string;
}

/** Purge now instead of at purgeAt ("immediately on request", even after a delete with retention). */
export const purgeNowSignal = defineSignal('purgeNow');

export type WebhookEvent = 'run.started' | 'run.succeeded' | 'run.partially_succeeded' | 'run.failed';
export const WEBHOOK_EVENTS: readonly WebhookEvent[] = [
  'run.started',
  'run.succeeded',
  'run.partially_succeeded',
  'run.failed',
];

export interface WebhookInput {
  runId: number;
  event: WebhookEvent;
}

/** One delivery workflow per (import, run, event). */
export const webhookWorkflowId = (importId: string, runId: number, event: WebhookEvent): string =>
  `webhook:${importId}:${runId}:${event}`;
