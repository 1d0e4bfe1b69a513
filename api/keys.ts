/**
 * `npm run api-key -- create --name ci --scope write` prints a new token (once: only its hash is kept);
 * `npm run api-key -- revoke <id>` revokes one; `npm run api-key -- list` lists them. Uses the same store
 * as the API (DATABASE_URL, else the embedded one under .data/).
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import net from 'node:net';
import path from 'node:path';
import { embeddedUrl } from '../store/embeddedPostgres';
import { migrate } from '../store/migrate';
import { createPool, DEFAULT_DATA_DIR, EMBEDDED_PORT, openStore, type Store } from '../store/store';
import { createApiKey, listApiKeys, revokeApiKey } from './auth';

const USAGE = `usage:
  npm run api-key -- create --name <name> [--scope read|write]   (scope defaults to read)
  npm run api-key -- revoke <id>
  npm run api-key -- list`;

export async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: 'string' }, scope: { type: 'string', default: 'read' }, help: { type: 'boolean' } },
  });
  const [command, arg] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const store = await openKeyStore();
  try {
    switch (command) {
      case 'create': {
        if (!values.name) throw new UsageError('create needs --name');
        if (values.scope !== 'read' && values.scope !== 'write') throw new UsageError('--scope is read or write');
        const { id, token } = await createApiKey(store.pool, values.name, values.scope);
        console.log(`created API key ${id} (${values.name}, ${values.scope})`);
        console.log(`token (shown once; send as "Authorization: Bearer <token>"):`);
        console.log(token);
        return 0;
      }
      case 'revoke': {
        if (!arg) throw new UsageError('revoke needs a key id');
        const done = await revokeApiKey(store.pool, arg);
        console.log(done ? `revoked API key ${arg}` : `no active API key ${arg}`);
        return done ? 0 : 1;
      }
      case 'list': {
        for (const k of await listApiKeys(store.pool)) {
          console.log(`${k.id}  ${k.scope.padEnd(5)}  ${k.revokedAt ? 'revoked' : 'active '}  ${k.name}`);
        }
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } finally {
    await store.close();
  }
}

class UsageError extends Error {}

/**
 * DATABASE_URL; else the embedded store, joined when `npm run up` or `npm run api` already runs it
 * (a second process cannot start the same cluster), started otherwise.
 */
async function openKeyStore(): Promise<Pick<Store, 'pool' | 'close'>> {
  const listening = await new Promise<boolean>((resolve) => {
    const s = net.connect(EMBEDDED_PORT, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (process.env.DATABASE_URL || !listening) return openStore();
  const pool = createPool(embeddedUrl(EMBEDDED_PORT, 'tributary', path.join(DEFAULT_DATA_DIR, 'postgres')), 2);
  await migrate(pool);
  return { pool, close: () => pool.end() };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof UsageError ? `${err.message}\n${USAGE}` : err);
      process.exit(err instanceof UsageError ? 2 : 1);
    },
  );
}
