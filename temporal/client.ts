/** A Temporal client configured as Temporal's own tools are (temporal/connection.ts). */
import { Client } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { cliSearchAttributeType, SEARCH_ATTRIBUTE_KEYS } from './searchAttributes';
import { connectClient, type TemporalConnectSettings, temporalConnectSettings } from './connection';

export type TemporalSettings = TemporalConnectSettings;

export const temporalSettings = (env: NodeJS.ProcessEnv = process.env): TemporalSettings =>
  temporalConnectSettings(env);

export async function createClient(settings: TemporalSettings = temporalSettings()): Promise<Client> {
  const connection = await connectClient(settings);
  return new Client({ connection, namespace: settings.namespace });
}

export type SearchAttributeSetup =
  | { status: 'registered' | 'present'; added: string[] }
  | { status: 'not-allowed'; missing: string[]; commands: string[]; reason: string };

/** The CLI commands an operator with the rights runs instead (the namespace's own admin, or Temporal Cloud's tcld). */
export const searchAttributeCommands = (namespace: string, names: string[]): string[] =>
  names.map(
    (name) =>
      `temporal operator search-attribute create --namespace ${namespace} --name ${name} --type ${cliSearchAttributeType(typeOf(name))}`,
  );

const typeOf = (name: string): SearchAttributeType => {
  const key = SEARCH_ATTRIBUTE_KEYS.find((k) => k.name === name);
  if (!key) throw new Error(`${name} is not one of Tributary's search attributes`);
  return key.type;
};

/** The operator service's numbers for each type (temporal.api.enums.v1.IndexedValueType on the wire). */
const INDEXED_VALUE_TYPES: Record<SearchAttributeType, number> = {
  TEXT: 1,
  KEYWORD: 2,
  INT: 3,
  DOUBLE: 4,
  BOOL: 5,
  DATETIME: 6,
  KEYWORD_LIST: 7,
};

const isDenied = (err: unknown): boolean => {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (code === 7 || code === 16 || code === 12) return true; // PERMISSION_DENIED, UNAUTHENTICATED, UNIMPLEMENTED
  }
  return false;
};

/**
 * Register the project's search attributes where they are missing, idempotently. A caller the server does
 * not let list or add them (a restricted API key; Temporal Cloud, where an account admin adds them) gets
 * the reason and the exact commands to run instead, not an exception.
 */
/** What registering needs: a Client's connection or a worker's NativeConnection both have the operator service. */
export interface OperatorServiceHolder {
  connection: {
    operatorService: Pick<Client['connection']['operatorService'], 'listSearchAttributes' | 'addSearchAttributes'>;
  };
}

export async function ensureSearchAttributes(
  client: OperatorServiceHolder,
  namespace: string,
): Promise<SearchAttributeSetup> {
  const all = SEARCH_ATTRIBUTE_KEYS.map((k) => k.name);
  let missing = all;
  try {
    const existing = await client.connection.operatorService.listSearchAttributes({ namespace });
    missing = all.filter((name) => !(name in (existing.customAttributes ?? {})));
    if (missing.length === 0) return { status: 'present', added: [] };
    await client.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((name) => [name, INDEXED_VALUE_TYPES[typeOf(name)]])),
    });
    return { status: 'registered', added: missing };
  } catch (err) {
    if (!isDenied(err)) throw err;
    return {
      status: 'not-allowed',
      missing,
      commands: searchAttributeCommands(namespace, missing),
      reason: (err as Error).message,
    };
  }
}
