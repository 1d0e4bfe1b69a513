/**
 * Postgres discovery for the API (test, catalogue and preview): the Postgres connector's `discovery`. The
 * server's version, the catalogue (postgresCatalogue.ts) and the preview (postgresPreview.ts) are the
 * session explorer's own; what is the API's alone is here: its connection, the warning when the role can
 * write, a custom query checked before connecting and refused in the parser's own words, and driver errors
 * worded as the API answers them (explain). Each call opens one short-lived client in a READ ONLY
 * transaction with a statement timeout, so a preview can neither write nor hang the API. A role the
 * operator does not allow (a superuser) is refused, as on the run path.
 */
import pg from 'pg';
import { type NetworkReach, networkReach } from '../common/networkReach';
import { pgStream } from '../common/reachingSockets';
import {
  catalogueEntry,
  ConfigurationError,
  type ConnectionConfig,
  type DiscoveryConnector,
  type Relation,
} from '../source';
import { operatorPolicyFromEnv, type OperatorPolicy } from '../common/operatorPolicy';
import { networkCode, unreachable } from '../common/errors';
import { postgresConfigProblem } from './postgresConfigErrors';
import { rawTypes } from './postgresSql';
import { listTables, serverVersion } from './postgresCatalogue';
import { previewRows } from './postgresPreview';
import { assertPostgresSelect, loadPostgresParser } from './postgresSqlGuard';
import { assertRoleAllowed, sourceRole } from './postgresSessionGuard';

/** Driver errors as configuration errors: the message names the problem, never the URL. */
function explain(err: unknown): never {
  const e = err as { code?: string; message?: string };
  if (e.code === '25006') throw new ConfigurationError(`the query tried to write: ${e.message}`);
  if (e.code === '57014') throw new ConfigurationError('the query took longer than the preview allows');
  if (e.code && /^(42|3D|3F|28)/.test(e.code)) throw new ConfigurationError(e.message ?? 'source error');
  const problem = postgresConfigProblem(err);
  if (problem) throw new ConfigurationError(problem);
  // Out of reach is not the request's fault: the API answers it 503, as for every other connector.
  // A server that closes the connection before answering as Postgres (another service on that port) is out
  // of reach too.
  if (networkCode(err) || /timeout expired|connection timeout|Connection terminated/i.test(e.message ?? ''))
    throw unreachable('postgres', 'the source', err);
  throw err;
}

interface Bounds {
  allowSuperuser: boolean;
  reach: NetworkReach;
}

async function withClient<T>(config: ConnectionConfig, bounds: Bounds, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: config.url,
    // The host (or socket) is an API key holder's: it connects only where the operator's policy allows.
    ...(config.operatorDefined ? {} : { stream: pgStream(bounds.reach) }),
    types: rawTypes,
    connectionTimeoutMillis: 10_000,
    statement_timeout: 30_000,
    options:
      '-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=iso_8601 -c extra_float_digits=3 -c standard_conforming_strings=on',
    application_name: 'tributary-api',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    assertRoleAllowed(await sourceRole(client), bounds.allowSuperuser);
    await client.query('BEGIN READ ONLY');
    return await fn(client);
  } catch (err) {
    return explain(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A warning when the role can INSERT, UPDATE or DELETE in tables it can read: imports run read-only, but a
 * role with SELECT only is what keeps a mistake (or a stolen key) from changing the source.
 */
async function writableWarnings(client: pg.Client): Promise<string[]> {
  const res = await client.query(`
    SELECT count(*) OVER ()::int AS n, c.oid::regclass::text AS t, current_user::text AS who
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      AND has_table_privilege(c.oid, 'SELECT') AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE')
    ORDER BY 2 LIMIT 5`);
  if (res.rows.length === 0) return [];
  const n = Number(res.rows[0].n);
  const names = res.rows.map((r) => String(r.t)).join(', ');
  return [
    `the role "${res.rows[0].who}" can write (INSERT, UPDATE or DELETE) to ${n} table(s) it can read (${names}${n > res.rows.length ? ', …' : ''}); ` +
      'imports only read, so a role with SELECT only is safer',
  ];
}

export function createPostgresDiscovery(options: { policy?: OperatorPolicy } = {}): DiscoveryConnector {
  const policy = options.policy ?? operatorPolicyFromEnv();
  const allowSuperuser: Bounds = { allowSuperuser: policy.allowSuperuserSources, reach: networkReach(policy) };
  return {
    kind: 'postgres',
    test: (config) =>
      withClient(config, allowSuperuser, async (c) => ({
        server: `PostgreSQL ${await serverVersion(c)}`,
        warnings: await writableWarnings(c),
      })),
    discover: (config) => withClient(config, allowSuperuser, async (c) => (await listTables(c)).map(catalogueEntry)),
    preview: async (config, relation: Relation, limit) => {
      if ('file' in relation)
        throw new ConfigurationError('postgres: a postgres connection reads tables or queries, not files');
      // Checked before connecting, and refused in the parser's own words (the API answers the query field).
      if ('query' in relation) {
        await loadPostgresParser();
        try {
          assertPostgresSelect(relation.query);
        } catch (err) {
          throw new ConfigurationError((err as Error).message);
        }
      }
      return withClient(config, allowSuperuser, (c) => previewRows(c, relation, limit));
    },
  };
}
