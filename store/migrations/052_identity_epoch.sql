-- The identities epoch: bumped whenever identifiers are removed (purge, or anyone's DELETE or TRUNCATE),
-- so a worker may remember which identifiers the store holds across batches (activities/knownUsers.ts)
-- and forget them all when the epoch moves. A batch reads the epoch FOR SHARE in its transaction, and a
-- removal's bump waits for those batches to commit: an identifier a batch relied on cannot vanish while
-- the batch loads events for it.
CREATE TABLE store_epochs (
  name   text PRIMARY KEY,
  epoch  bigint NOT NULL
);
INSERT INTO store_epochs (name, epoch) VALUES ('identities', 0);

CREATE FUNCTION bump_identities_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE store_epochs SET epoch = epoch + 1 WHERE name = 'identities';
  RETURN NULL;
END $$;
CREATE TRIGGER identities_removed AFTER DELETE OR TRUNCATE ON identities
  FOR EACH STATEMENT EXECUTE FUNCTION bump_identities_epoch();
