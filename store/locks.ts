/**
 * Every advisory lock Tributary takes, in one place: Postgres has one advisory key space per database, so
 * two locks given the same id by accident would serialise (or deadlock) work that has nothing in common.
 * Each id is a plain bigint; test/unit/storeLocks.test.ts checks they stay distinct.
 */

/** One migrator at a time, even with several workers starting together (session lock, store/migrate.ts). */
export const MIGRATION_LOCK = 727272;

/**
 * Merges and splits of persons (store/loaders/identities.ts, store/personSplit.ts, the purge): one at a
 * time, so two imports never merge crosswise. Transaction lock, taken after the position rows.
 */
export const IDENTITY_GRAPH_LOCK = 727273;

/** The demo data script's one writer of the demo source database (scripts/demo-data.ts). */
export const DEMO_DATA_LOCK = 727274;

export const ADVISORY_LOCKS = { MIGRATION_LOCK, IDENTITY_GRAPH_LOCK, DEMO_DATA_LOCK } as const;
