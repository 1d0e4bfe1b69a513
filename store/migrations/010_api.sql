-- The HTTP API: keys, stored connections, schedules' display form, deletion, webhooks (issue 3).

-- API keys: only a SHA-256 of the token is kept. Tokens are 256 random bits, so a fast hash is enough:
-- there is nothing to brute-force that a slow hash would protect.
CREATE TABLE api_keys (
  id           text PRIMARY KEY,
  name         text NOT NULL,
  scope        text NOT NULL CHECK (scope IN ('read', 'write')),
  token_hash   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);

-- Source connections. The URL (with its credentials) is sealed with AES-256-GCM under
-- TRIBUTARY_SECRET_KEY; `display` holds only what may be shown (host, port, database, user).
CREATE TABLE connections (
  id            text PRIMARY KEY,
  name          text NOT NULL,
  kind          text NOT NULL,
  display       jsonb NOT NULL,
  sealed_url    text NOT NULL,
  discovered    jsonb,
  discovered_at timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The schedule as the user wrote it (Temporal holds the live one, and its paused state), and deletion.
ALTER TABLE imports ADD COLUMN schedule jsonb;
ALTER TABLE imports ADD COLUMN purge_after timestamptz;
CREATE INDEX imports_connection ON imports ((spec #>> '{source,connection}')) WHERE deleted_at IS NULL;

CREATE TABLE webhooks (
  id            text PRIMARY KEY,
  url           text NOT NULL,
  events        text[] NOT NULL,
  import_id     text,                -- null: every import
  sealed_secret text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per (endpoint, run, event) once delivered, so a retried delivery activity skips endpoints
-- that already have it and receivers see each event once per endpoint (they dedupe on delivery id anyway).
CREATE TABLE webhook_deliveries (
  id            text PRIMARY KEY,    -- also sent as X-Tributary-Delivery
  webhook_id    text NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  run_id        bigint NOT NULL,
  event         text NOT NULL,
  attempts      integer NOT NULL DEFAULT 0,
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered')),
  last_error    text,
  delivered_at  timestamptz,
  UNIQUE (webhook_id, run_id, event)
);
