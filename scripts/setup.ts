/**
 * npm run setup: register Tributary's search attributes in the namespace the environment names (as the
 * worker reads it: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE).
 * Idempotent. Exit 0 when they are there, 2 with the commands to run when this caller may not add them.
 */
import { fileURLToPath } from 'node:url';
import { createClient, ensureSearchAttributes, temporalSettings } from '../temporal/client';

export async function setup(
  env: NodeJS.ProcessEnv = process.env,
  out: (line: string) => void = console.log,
): Promise<number> {
  const settings = temporalSettings(env);
  const client = await createClient(settings);
  try {
    const result = await ensureSearchAttributes(client, settings.namespace);
    if (result.status === 'not-allowed') {
      out(
        `tributary setup: namespace ${settings.namespace} on ${settings.address} lacks ${result.missing.join(', ')}, and this caller may not add them (${result.reason}).`,
      );
      out('Run, with an account that may (on Temporal Cloud, an account admin, or add them in the Cloud UI):');
      for (const c of result.commands) out(`  ${c}`);
      return 2;
    }
    out(
      result.status === 'present'
        ? `tributary setup: namespace ${settings.namespace} on ${settings.address} has every search attribute`
        : `tributary setup: registered ${result.added.join(', ')} in namespace ${settings.namespace} on ${settings.address}`,
    );
    return 0;
  } finally {
    await client.connection.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  setup().then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(`tributary setup: ${err.message}`);
      process.exit(1);
    },
  );
}
