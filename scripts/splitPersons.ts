/**
 * Split persons that are no longer one connected component of the identity graph. Purge splits persons
 * itself; this repairs stores where identity imports were purged before it did (their persons stayed
 * merged). Safe beside running imports and safe to run again: a second run finds nothing to split.
 *
 *   DATABASE_URL=postgres://… npm run split-persons
 */
import { openStore } from '../store/store';
import { repairPersons } from '../store/personSplit';

const store = await openStore({ log: (m) => console.log(m) });
try {
  const counts = await repairPersons(store.pool);
  console.log(`split ${counts.persons} persons into ${counts.created} new ones (${counts.moved} identifiers moved)`);
} finally {
  await store.close();
}
