-- Deleting an import removes its identity links, and a person joined only through them falls apart again:
-- purge recomputes the connected components of the persons those links touched and gives every component
-- but one a new person id (activities/personSplit.ts). Each split is recorded here, beside person_merges,
-- so the two tables together replay every person id an identifier has had.
CREATE TABLE person_splits (
  id           bigserial PRIMARY KEY,
  from_person  bigint NOT NULL,       -- the person that was split; its largest component keeps this id
  into_person  bigint NOT NULL,       -- the new person of one of the other components
  moved        integer NOT NULL,      -- identifiers that moved to into_person
  import_id    text,                  -- the purged import whose links held the components together (NULL: a repair)
  split_at     timestamptz NOT NULL DEFAULT now()
);

-- A person's links are found by either end (the primary key leads with import_id): the split reads the
-- links of the persons it recomputes, and purge's check that no link still holds an identifier probes
-- both ends.
CREATE INDEX identity_links_left ON identity_links (left_type, left_value);
CREATE INDEX identity_links_right ON identity_links (right_type, right_value);
