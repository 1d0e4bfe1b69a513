/**
 * Connecting the way Temporal's own tools do, to an endpoint that enforces it: nginx in front of the dev
 * server checks an API key, or a client certificate. The worker and the client read TEMPORAL_* settings or a
 * profile of the Temporal config file, run an import through the gateway, and a wrong key or certificate
 * is a clear error that never shows the key.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client } from '@temporalio/client';
import { createWorker } from '../worker';
import { staticConnections } from '../connectors/connections';
import { createClient } from '../temporal/client';
import { connectWorker, temporalConnectSettings } from '../temporal/connection';
import { IMPORT_WORKFLOW_TYPE, importWorkflowId } from '../workflows/definitions';
import type { RunRecord } from '../activities';
import { count, createHarness, type Harness, uniqueId } from './helpers/harness';
import { testPolicy } from './helpers/testPolicy';
import { type Certificates, type GrpcGateway, makeCertificates, startGrpcGateway } from './helpers/grpcGateway';

const API_KEY = 'tributary-test-key-7f3a9c';
let h: Harness;
let certs: Certificates;
let keyGateway: GrpcGateway;
let mtlsGateway: GrpcGateway;

beforeAll(async () => {
  h = await createHarness('tauth', { inProcessWorker: false });
  certs = makeCertificates();
  keyGateway = await startGrpcGateway(inject('temporalAddress'), certs, { apiKey: API_KEY });
  mtlsGateway = await startGrpcGateway(inject('temporalAddress'), certs, { mtls: true });
  await h.source.query(`CREATE TABLE people (id int PRIMARY KEY, email text, updated_at timestamptz)`);
  await h.source.query(
    `INSERT INTO people SELECT g, 'p' || g || '@x.io', '2026-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 250) g`,
  );
}, 120_000);
afterAll(async () => {
  await keyGateway?.stop();
  await mtlsGateway?.stop();
  await h?.close();
});

const apiKeyEnv = (key: string) => ({
  TEMPORAL_ADDRESS: keyGateway.address,
  TEMPORAL_NAMESPACE: 'default',
  TEMPORAL_API_KEY: key,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
  TEMPORAL_TLS_SERVER_NAME: certs.serverName,
});

/** Run one import with a worker and a client that both reach Temporal with `env`'s settings. */
async function importThrough(env: NodeJS.ProcessEnv): Promise<{ run: RunRecord; stored: number }> {
  const settings = temporalConnectSettings(env);
  const taskQueue = `tauth-${uniqueId('q')}`;
  const { worker, close } = await createWorker({
    temporal: settings,
    namespace: settings.namespace,
    taskQueue,
    store: h.store,
    resolveConnection: staticConnections({ warehouse: h.sourceUrl }),
    policy: testPolicy(),
  });
  const running = worker.run();
  const client: Client = await createClient(settings);
  try {
    const spec = {
      id: uniqueId('tauth'),
      name: 'people',
      dataType: 'profile' as const,
      batchSize: 100,
      source: { connection: 'warehouse', table: 'people' },
      cursor: { column: 'updated_at', key: 'id' },
      mapping: { userId: { column: 'email' }, idType: { value: 'email' } },
    };
    const run = (await client.workflow.execute(IMPORT_WORKFLOW_TYPE, {
      taskQueue,
      workflowId: importWorkflowId(spec.id),
      args: [{ spec }],
    })) as RunRecord;
    return {
      run,
      stored: await count(h.store, 'SELECT count(*) FROM profile_attributes WHERE import_id = $1', [spec.id]),
    };
  } finally {
    worker.shutdown();
    await running;
    await close();
    await client.connection.close();
  }
}

describe('an API key', () => {
  it('from TEMPORAL_API_KEY and TLS settings: the worker and the client import through the gateway', async () => {
    const { run, stored } = await importThrough(apiKeyEnv(API_KEY));
    expect(run).toMatchObject({ status: 'succeeded', rowsRead: 250, created: 250 });
    expect(stored).toBe(250);
  });

  it('that is wrong is a clear error naming TEMPORAL_API_KEY, without the key', async () => {
    const wrong = 'wrong-key-0d1e2f';
    const failure = await createClient(temporalConnectSettings(apiKeyEnv(wrong))).then(
      () => null,
      (e: Error) => e,
    );
    expect(failure?.message).toMatch(/refused the API key \(TEMPORAL_API_KEY\)/);
    expect(failure?.message).not.toContain(wrong);
    const workerFailure = await connectWorker(temporalConnectSettings(apiKeyEnv(wrong))).then(
      () => null,
      (e: Error) => e,
    );
    expect(workerFailure?.message).toMatch(/refused the API key/);
  });

  it('from a profile of the Temporal config file (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE)', async () => {
    const file = path.join(certs.dir, 'temporal.toml');
    writeFileSync(
      file,
      [
        '[profile.cloud]',
        `address = "${keyGateway.address}"`,
        'namespace = "default"',
        `api_key = "${API_KEY}"`,
        '[profile.cloud.tls]',
        `server_ca_cert_path = "${certs.caCert}"`,
        `server_name = "${certs.serverName}"`,
        '',
      ].join('\n'),
    );
    const { run } = await importThrough({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' });
    expect(run).toMatchObject({ status: 'succeeded', rowsRead: 250 });
  });
});

describe('mTLS', () => {
  const mtlsEnv = (cert: string, key: string) => ({
    TEMPORAL_ADDRESS: mtlsGateway.address,
    TEMPORAL_TLS_CLIENT_CERT_PATH: cert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: key,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
    TEMPORAL_TLS_SERVER_NAME: certs.serverName,
  });

  it("with the CA's client certificate: the worker and the client import through the gateway", async () => {
    const { run, stored } = await importThrough(mtlsEnv(certs.clientCert, certs.clientKey));
    expect(run).toMatchObject({ status: 'succeeded', rowsRead: 250 });
    expect(stored).toBe(250);
  });

  it('with a certificate of another CA, or none, is a clear error', async () => {
    const rogue = await createClient(temporalConnectSettings(mtlsEnv(certs.rogueCert, certs.rogueKey))).then(
      () => null,
      (e: Error) => e,
    );
    expect(rogue?.message).toMatch(/Temporal at 127\.0\.0\.1:\d+ \(namespace default\)/);
    expect(rogue?.message).toMatch(/the TLS handshake failed \(check TEMPORAL_TLS_CLIENT_CERT_PATH/);
    const none = await createClient(
      temporalConnectSettings({
        TEMPORAL_ADDRESS: mtlsGateway.address,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
        TEMPORAL_TLS_SERVER_NAME: certs.serverName,
      }),
    ).then(
      () => null,
      (e: Error) => e,
    );
    expect(none?.message).toMatch(/Temporal at 127\.0\.0\.1:\d+ \(namespace default\): the TLS handshake failed/);
  });
});
