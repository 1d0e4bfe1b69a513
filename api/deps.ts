/** What the API is built from. Tests hand in their own store, Temporal client and task queue. */
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import type { DiscoveryConnector } from '../connectors/source';
import type { ConnectionResolver, SourceConnector } from '../connectors/source';
import type { TemporalDeadlines } from './temporalDeadline';

export interface ApiDeps {
  store: pg.Pool;
  temporal: Client;
  /** The task queue the import workers poll (schedules and purges start workflows there). */
  taskQueue: string;
  /** TRIBUTARY_SECRET_KEY: seals connection URLs and webhook secrets. */
  secretKey: Buffer | null;
  /** Stored connections first, then the environment's, exactly as the worker resolves them. */
  resolveConnection: ConnectionResolver;
  connectors: Record<string, SourceConnector>;
  discovery: Record<string, DiscoveryConnector>;
  /** How long a deleted import's data is kept before the purge (default 30 days). */
  defaultRetentionMs: number;
  /** How long views and lifecycle actions wait for Temporal (startApi: DEFAULT_DEADLINES, 3 s and 10 s, unless told). */
  deadlines: TemporalDeadlines;
}
