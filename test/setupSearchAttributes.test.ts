/**
 * npm run setup registers the search attributes in a namespace that lacks them, idempotently; a key that
 * may not manage the namespace (a gateway refusing the operator service) gets the exact CLI commands.
 */
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import Long from 'long';
import { setup } from '../scripts/setup';
import { SEARCH_ATTRIBUTE_NAMES } from '../temporal/searchAttributes';
import { type Certificates, type GrpcGateway, makeCertificates, startGrpcGateway } from './helpers/grpcGateway';

const API_KEY = 'setup-test-key-2b7c';
let connection: Connection;
let certs: Certificates;
let gateway: GrpcGateway;
const namespace = `setup-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(86_400) },
  });
  certs = makeCertificates();
  gateway = await startGrpcGateway(
    inject('temporalAddress'),
    certs,
    { apiKey: API_KEY },
    { denyOperatorService: true },
  );
}, 120_000);
afterAll(async () => {
  await gateway?.stop();
  await connection?.close();
});

const names = SEARCH_ATTRIBUTE_NAMES;

it('registers the missing search attributes, then finds them present', async () => {
  const env = { TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: namespace };
  const lines: string[] = [];
  expect(await setup(env, (l) => lines.push(l))).toBe(0);
  expect(lines.join('\n')).toMatch(new RegExp(`registered ${names.join(', ')} in namespace ${namespace}`));
  const listed = await connection.operatorService.listSearchAttributes({ namespace });
  for (const name of names) expect(listed.customAttributes?.[name]).toBe(2); // KEYWORD
  const again: string[] = [];
  expect(await setup(env, (l) => again.push(l))).toBe(0);
  expect(again.join('\n')).toMatch(/has every search attribute/);
});

it('prints the exact commands when the caller may not add them', async () => {
  const other = `setup-denied-${randomUUID().slice(0, 6)}`;
  const lines: string[] = [];
  const code = await setup(
    {
      TEMPORAL_ADDRESS: gateway.address,
      TEMPORAL_NAMESPACE: other,
      TEMPORAL_API_KEY: API_KEY,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
      TEMPORAL_TLS_SERVER_NAME: certs.serverName,
    },
    (l) => lines.push(l),
  );
  expect(code).toBe(2);
  const text = lines.join('\n');
  expect(text).toMatch(/may not add them/);
  for (const name of names)
    expect(text).toContain(
      `temporal operator search-attribute create --namespace ${other} --name ${name} --type Keyword`,
    );
  expect(text).not.toContain(API_KEY);
});
