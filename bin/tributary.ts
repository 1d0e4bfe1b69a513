#!/usr/bin/env node
/**
 * The `tributary` command of the installed package: the things a clone runs with npm scripts, as
 * subcommands. Each subcommand runs its script's own entry point as if Node had been started on it
 * (argv[1] is that file, the rest are its arguments), so the script keeps its own argument parsing,
 * signal handling and exit codes, and `npm run <script>` and `tributary <script>` cannot drift apart.
 */
import { fileURLToPath } from 'node:url';

/** Subcommand -> the entry point (relative to this file) and what it does, for --help. */
const COMMANDS: Record<string, { entry: string; about: string }> = {
  up: {
    entry: '../scripts/up',
    about: 'the whole stack on this machine: Temporal dev server, store, worker, API and demo imports',
  },
  worker: {
    entry: '../worker',
    about: 'a worker polling the import task queue (TEMPORAL_* and DATABASE_URL from the environment)',
  },
  api: { entry: '../api/server', about: 'the HTTP API on its own (TRIBUTARY_API_HOST, TRIBUTARY_API_PORT)' },
  'api-key': { entry: '../api/keys', about: 'create, list or revoke API keys: api-key create --name ci --scope write' },
  migrate: {
    entry: '../scripts/migrate',
    about: "apply the store's migrations (DATABASE_URL, else the embedded store)",
  },
  setup: { entry: '../scripts/setup', about: "register Tributary's search attributes in the namespace (idempotent)" },
};

const USAGE = [
  'usage: tributary <command> [arguments]',
  '',
  'commands:',
  ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(9)} ${c.about}`),
  '',
  'Connection to Temporal as its own tools read it: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,',
  'TEMPORAL_TLS_* or a profile of the Temporal config file (TEMPORAL_PROFILE).',
  "`tributary <command> --help` shows a command's own options where it has any.",
].join('\n');

/** This file's own extension: .js once built, .ts when run from the sources with tsx. */
const EXT = fileURLToPath(import.meta.url).endsWith('.ts') ? '.ts' : '.js';

async function main(argv: string[]): Promise<number | null> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  const target = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!target) {
    console.error(`tributary: unknown command "${command}"; the commands are ${Object.keys(COMMANDS).join(', ')}`);
    console.error('run `tributary --help` for what each does');
    return 2;
  }
  const url = new URL(`${target.entry}${EXT}`, import.meta.url);
  process.argv = [process.argv[0]!, fileURLToPath(url), ...rest];
  await import(url.href);
  // The entry point has taken over: it ends the process when it is done.
  return null;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== null) process.exit(code);
  },
  (err: unknown) => {
    console.error(`tributary: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
