/**
 * How failures are classified, on errors a real Postgres raises (SQLSTATEs raised with RAISE ... ERRCODE,
 * an administrator's pg_terminate_backend, interval arithmetic out of range, a refused connection), and
 * what the scrubber leaves of a message that echoes a connection's secrets in their usual encodings.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureKind } from '../../activities/failures';
import { scrubberFor } from '../../connectors/common/secretScrub';
import { SourceUnavailableError } from '../../connectors/common/errors';
import { ConfigurationError } from '../../connectors/source';
import { parseImportSpec } from '../../domain/importSpec';
import { freshDatabase } from '../helpers/harness';
import { freePort } from '../helpers/servers';

let url: string;
let pool: pg.Pool;

beforeAll(async () => {
  url = await freshDatabase('kinds');
  pool = new pg.Pool({ connectionString: url, max: 3 });
});
afterAll(async () => {
  await pool?.end();
});

const raised = async (sqlstate: string): Promise<unknown> =>
  pool.query(`DO $$ BEGIN RAISE EXCEPTION 'raised %', '${sqlstate}' USING ERRCODE = '${sqlstate}'; END $$`).then(
    () => null,
    (e: unknown) => e,
  );

describe('failureKind on real Postgres errors', () => {
  for (const code of ['40001', '40P01', '53100', '53200', '53300', '08006', '08001', '57P01', '57P03', '55P03']) {
    it(`SQLSTATE ${code} is transient`, async () => {
      const err = await raised(code);
      expect((err as { code?: string }).code).toBe(code);
      expect(failureKind(err)).toBe('transient');
    });
  }
  for (const code of ['0A000', '22008', '22015', '22012', 'P0001', '23505']) {
    it(`SQLSTATE ${code} is unknown`, async () => {
      const err = await raised(code);
      expect((err as { code?: string }).code).toBe(code);
      expect(failureKind(err)).toBe('unknown');
    });
  }

  it('interval arithmetic out of range (a lag of 1e300 seconds) is unknown, not retried for ever', async () => {
    const err = await pool.query(`SELECT now() - $1::float8 * interval '1 second'`, [1e300]).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as { code?: string }).code).toMatch(/^22/);
    expect(String((err as Error).message)).toMatch(/out of range/);
    expect(failureKind(err)).toBe('unknown');
  });

  it("an administrator's pg_terminate_backend is transient", async () => {
    const victim = new pg.Client({ connectionString: url });
    victim.on('error', () => undefined);
    await victim.connect();
    const pid = (await victim.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    await pool.query('SELECT pg_terminate_backend($1)', [pid]);
    const err = await victim.query('SELECT 1').then(
      () => null,
      (e: unknown) => e,
    );
    await victim.end().catch(() => undefined);
    expect(err).not.toBeNull();
    expect(failureKind(err)).toBe('transient');
  });

  it('a refused connection is transient', async () => {
    const client = new pg.Client({ connectionString: `postgres://x:y@127.0.0.1:${await freePort()}/db` });
    const err = await client.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as { code?: string }).code).toBe('ECONNREFUSED');
    expect(failureKind(err)).toBe('transient');
  });

  it('a TypeError is unknown; configuration errors and an invalid spec are configuration; SourceUnavailableError is transient', () => {
    let typeError: unknown;
    try {
      (undefined as unknown as { rows: unknown[] }).rows.push(1);
    } catch (err) {
      typeError = err;
    }
    expect(typeError).toBeInstanceOf(TypeError);
    expect(failureKind(typeError)).toBe('unknown');
    expect(failureKind(new ConfigurationError('x'))).toBe('configuration');
    let invalid: unknown;
    try {
      parseImportSpec({ id: 'x' });
    } catch (err) {
      invalid = err;
    }
    expect(failureKind(invalid)).toBe('configuration');
    expect(failureKind(new SourceUnavailableError('down'))).toBe('transient');
  });
});

describe('scrubberFor', () => {
  const password = `Pw/${randomUUID()}+=&?`;
  const token = `tk-${randomUUID()}`;
  const key = `-----BEGIN PRIVATE KEY-----\nMIIEv${randomUUID().replace(/-/g, '')}QIBADAN\n-----END PRIVATE KEY-----\n`;
  const creds = Buffer.from(
    JSON.stringify({ client_email: 'svc@proj.iam', private_key: key, private_key_id: `kid-${randomUUID()}` }),
  ).toString('base64');
  const connUrl = `snowflake://reader:${encodeURIComponent(password)}@acct/db/schema?warehouse=WH&token=${encodeURIComponent(token)}&credentials=${encodeURIComponent(creds)}`;
  const s = scrubberFor({ url: connUrl });

  it('hides every secret in every form it may be echoed in, and keeps what is not secret', () => {
    const forms = [
      password,
      encodeURIComponent(password),
      Buffer.from(password).toString('base64'),
      Buffer.from(password).toString('base64url'),
      JSON.stringify(password).slice(1, -1),
      token,
      creds,
      encodeURIComponent(creds),
      Buffer.from(creds, 'base64').toString('utf8'),
      key,
      JSON.stringify(key).slice(1, -1),
      key.split('\n')[1]!,
      Buffer.from(`reader:${password}`).toString('base64'),
      connUrl,
    ];
    for (const f of forms) {
      const out = s.text(`before ${f} after`);
      expect(out, f).not.toContain(f);
      expect(out).toMatch(/^before .*\[redacted\].* after$/);
    }
    // The user, the account, the warehouse and the service account's email are no secret.
    expect(s.text('user reader on acct, warehouse WH, as svc@proj.iam')).toBe(
      'user reader on acct, warehouse WH, as svc@proj.iam',
    );
  });

  it('scrubs an error in place: message, stack, fields and causes, keeping its class and code', () => {
    const err = Object.assign(new TypeError(`boom ${password}`), {
      code: '0A000',
      detail: `token=${token}`,
      cause: new Error(`key ${key}`),
    });
    const out = s.error(err) as TypeError & { code: string; detail: string; cause: Error };
    expect(out).toBe(err);
    expect(out).toBeInstanceOf(TypeError);
    expect(out.code).toBe('0A000');
    for (const text of [out.message, out.stack!, out.detail, out.cause.message, out.cause.stack!]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(token);
      expect(text).not.toContain(key.split('\n')[1]!);
    }
  });

  it('hides credential fields whatever their value (a signed token in a request an HTTP client kept)', () => {
    const jwt = `eyJ${randomUUID()}`;
    const err = Object.assign(new Error('request failed'), {
      config: { url: 'https://x', headers: { Authorization: `Bearer ${jwt}`, accept: 'json' } },
    });
    const out = s.error(err) as Error & { config: { url: string; headers: Record<string, string> } };
    expect(out.config.headers).toEqual({ Authorization: '[redacted]', accept: 'json' });
    expect(out.config.url).toBe('https://x');
  });
});
