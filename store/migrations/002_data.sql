-- The platform's profile and event store (brief §1–§3).

-- Every identifier the store knows, and the person it belongs to (connected components of the
-- identity graph). An identifier first seen in any import is created here: a created profile.
CREATE SEQUENCE person_ids;
CREATE TABLE identities (
  id_type     text NOT NULL,
  id_value    text NOT NULL,
  person_id   bigint NOT NULL,
  import_id   text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id_type, id_value)
);
CREATE INDEX identities_person ON identities (person_id);

CREATE TABLE identity_links (
  import_id   text NOT NULL,
  left_type   text NOT NULL, left_value  text NOT NULL,
  right_type  text NOT NULL, right_value text NOT NULL,
  run_id      bigint NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (import_id, left_type, left_value, right_type, right_value)
);

-- Merges of two persons through a link: the smaller moves into the larger.
CREATE TABLE person_merges (
  id           bigserial PRIMARY KEY,
  from_person  bigint NOT NULL,
  into_person  bigint NOT NULL,
  moved        integer NOT NULL,
  run_id       bigint NOT NULL,
  merged_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per user per import, so deleting an import removes exactly its data.
CREATE TABLE profile_attributes (
  id_type     text NOT NULL,
  id_value    text NOT NULL,
  import_id   text NOT NULL,
  attributes  jsonb NOT NULL,
  run_id      bigint NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id_type, id_value, import_id)
);

CREATE AGGREGATE jsonb_merge_agg(jsonb) (SFUNC = jsonb_concat, STYPE = jsonb, INITCOND = '{}');

-- A user's attributes across imports, the newest write winning per attribute.
CREATE VIEW profiles AS
SELECT i.id_type, i.id_value, i.person_id,
       COALESCE((SELECT jsonb_merge_agg(p.attributes ORDER BY p.updated_at)
                 FROM profile_attributes p
                 WHERE p.id_type = i.id_type AND p.id_value = i.id_value), '{}'::jsonb) AS attributes
FROM identities i;

CREATE TABLE events (
  import_id    text NOT NULL,
  run_id       bigint NOT NULL,
  id_type      text NOT NULL,
  id_value     text NOT NULL,
  event_type   text NOT NULL,
  occurred_at  timestamptz NOT NULL,
  properties   jsonb NOT NULL,
  dedup_key    uuid NOT NULL,
  loaded_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_user ON events (id_type, id_value, occurred_at);

-- The dedup memory: per user, a hash of event type, timestamp (µs) and typed properties.
-- last_seen_at is renewed each time the event is seen; it is forgotten past the window.
CREATE TABLE event_dedup (
  id_type       text NOT NULL,
  id_value      text NOT NULL,
  dedup_key     uuid NOT NULL,
  last_seen_at  timestamptz NOT NULL,
  loaded_at     timestamptz NOT NULL,
  PRIMARY KEY (id_type, id_value, dedup_key)
);

CREATE TABLE segment_memberships (
  import_id   text NOT NULL,
  segment     text NOT NULL,
  id_type     text NOT NULL,
  id_value    text NOT NULL,
  member      boolean NOT NULL,
  added_at    timestamptz NOT NULL DEFAULT now(),
  removed_at  timestamptz,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (import_id, segment, id_type, id_value)
);

CREATE TABLE group_memberships (
  import_id   text NOT NULL,
  group_type  text NOT NULL,
  group_id    text NOT NULL,
  id_type     text NOT NULL,
  id_value    text NOT NULL,
  role        text,
  member      boolean NOT NULL,
  added_at    timestamptz NOT NULL DEFAULT now(),
  removed_at  timestamptz,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (import_id, group_type, group_id, id_type, id_value)
);
