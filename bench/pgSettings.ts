/**
 * Server settings of the bench cluster, on top of the embedded defaults (4 GB of
 * WAL): a store tuned for this machine (24 GB) and for bulk writes. The indexes the import writes at
 * random stay in memory, and the background writer, not the importing backend, writes dirty pages out.
 * The floor runs on the same cluster with the same settings.
 */
export const PG_SETTINGS = {
  shared_buffers: '4GB',
  bgwriter_delay: '10ms',
  bgwriter_lru_maxpages: '1000',
  bgwriter_lru_multiplier: '4',
};
