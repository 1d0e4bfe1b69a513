/**
 * Webhook endpoints and their deliveries. Invariants this module owns:
 * - an endpoint's signing secret is stored sealed only (the caller seals it; nothing here reads it open);
 * - one delivery per endpoint, run and event (its primary key): a retried delivery activity finds the
 *   endpoints that already answered 2xx marked delivered, and does not send them the event again.
 */
import type pg from 'pg';

type Db = pg.Pool | pg.ClientBase;
/** A `webhooks` row as Postgres returns it. */
export type WebhookRow = Record<string, any>;

export interface NewWebhook {
  id: string;
  url: string;
  events: string[];
  importId: string | null;
  sealedSecret: string;
}

export async function insertWebhook(db: Db, hook: NewWebhook): Promise<WebhookRow> {
  const res = await db.query(
    'INSERT INTO webhooks (id, url, events, import_id, sealed_secret) VALUES ($1, $2, $3, $4, $5) RETURNING *',
    [hook.id, hook.url, hook.events, hook.importId, hook.sealedSecret],
  );
  return res.rows[0];
}

export async function listWebhooks(db: Db): Promise<WebhookRow[]> {
  return (await db.query('SELECT * FROM webhooks ORDER BY created_at, id')).rows;
}

/** False when there was no such endpoint. */
export async function deleteWebhook(db: Db, id: string): Promise<boolean> {
  return ((await db.query('DELETE FROM webhooks WHERE id = $1', [id])).rowCount ?? 0) > 0;
}

/** The endpoints subscribed to `event` for this import's runs (or all imports'), in id order. */
export async function webhooksFor(
  db: Db,
  event: string,
  importId: string,
): Promise<{ id: string; url: string; sealed_secret: string }[]> {
  const res = await db.query(
    `SELECT id, url, sealed_secret FROM webhooks
     WHERE $1 = ANY(events) AND (import_id IS NULL OR import_id = $2) ORDER BY id`,
    [event, importId],
  );
  return res.rows;
}

/** Records a delivery about to be attempted (once) and returns its status: 'delivered' means skip it. */
export async function startDelivery(
  db: Db,
  d: { id: string; webhookId: string; runId: number; event: string },
): Promise<string> {
  const res = await db.query(
    `INSERT INTO webhook_deliveries (id, webhook_id, run_id, event) VALUES ($1, $2, $3, $4)
     ON CONFLICT (webhook_id, run_id, event) DO UPDATE SET attempts = webhook_deliveries.attempts
     RETURNING status`,
    [d.id, d.webhookId, d.runId, d.event],
  );
  return res.rows[0].status as string;
}

/** Records an attempt: delivered when `error` is null, else the error it failed with. */
export async function deliveryAttempted(db: Db, id: string, error: string | null): Promise<void> {
  await db.query(
    `UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = $2,
       status = CASE WHEN $2::text IS NULL THEN 'delivered' ELSE status END,
       delivered_at = CASE WHEN $2::text IS NULL THEN now() ELSE delivered_at END
     WHERE id = $1`,
    [id, error],
  );
}
