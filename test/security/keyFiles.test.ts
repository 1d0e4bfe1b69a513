/**
 * Files a connection names for its own use (an SFTP private key, an HTTPS CA certificate, a Snowflake
 * key-pair key, a BigQuery service-account key) are read only under the operator's key folders
 * (TRIBUTARY_KEY_FILE_ROOTS). A path elsewhere — /etc/passwd, the data folder's master key, a symlink out
 * of a key folder, the real key of a real server kept outside the folders — is refused naming the
 * connection's field, and nothing of the file reaches the error. Real sshd and HTTPS servers on loopback.
 */
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigqueryEndpoint } from '../../connectors/bigquery/bigquerySource';
import { networkReach } from '../../connectors/common/networkReach';
import { operatorPolicyFromEnv, type OperatorPolicy } from '../../connectors/common/operatorPolicy';
import { httpTransport } from '../../connectors/files/transports/http';
import { sftpTransport } from '../../connectors/files/transports/sftp';
import { snowflakeOptions } from '../../connectors/snowflake/snowflakeSource';
import { type Running, startHttp, startSftp } from '../files/fileServers';
import { tempDir } from '../helpers/servers';
import { TEST_PRIVATE_HOSTS } from '../helpers/testPolicy';

const PASSWD_START = readFileSync('/etc/passwd', 'utf8').slice(0, 10);
const CANARY = 'canary-key-content-7f3a9c';
let keys: string;
let dataDir: string;
let policy: OperatorPolicy;
let sftp: Running;
let https: Running;
const enc = encodeURIComponent;

beforeAll(async () => {
  keys = tempDir('keyroot');
  dataDir = tempDir('keydata');
  writeFileSync(path.join(dataDir, 'secret-key'), `${CANARY}\n`);
  // The operator's default everywhere but: loopback servers are reachable, and key files live in `keys`.
  policy = {
    ...operatorPolicyFromEnv({ TRIBUTARY_DATA_DIR: dataDir, TRIBUTARY_KEY_FILE_ROOTS: `${keys}:${dataDir}` }),
    allowPrivateHosts: TEST_PRIVATE_HOSTS,
  };
  writeFileSync(path.join(keys, 'not-a-key.pem'), `${CANARY}\n`);
  symlinkSync('/etc/passwd', path.join(keys, 'passwd-link.pem'));
  [sftp, https] = await Promise.all([startSftp(), startHttp({ tls: true })]);
  writeFileSync(path.join(sftp.root, 'people.csv'), 'id\n1\n');
  mkdirSync(path.join(https.root, 'in'), { recursive: true });
  writeFileSync(path.join(https.root, 'in', 'people.csv'), 'id\n1\n');
});
afterAll(async () => {
  await Promise.all([sftp?.stop(), https?.stop()]);
});

/** The error `fn` fails with; it must name `field` and hold none of the file. */
async function refusal(fn: () => unknown, field: RegExp): Promise<string> {
  let message = '';
  try {
    await fn();
  } catch (err) {
    message = (err as Error).message;
    expect((err as Error).name).toBe('ConfigurationError');
  }
  expect(message).toMatch(field);
  expect(message).not.toContain(PASSWD_START);
  expect(message).not.toContain(CANARY);
  return message;
}

const OUTSIDE =
  /is outside the folders connection key files may be read from \(the operator's TRIBUTARY_KEY_FILE_ROOTS\)/;
const outsidePaths = () => [
  '/etc/passwd',
  '/etc/../etc/passwd',
  `${keys}/../../../etc/passwd`,
  path.join(keys, 'passwd-link.pem'),
  path.join(dataDir, 'secret-key'),
  'relative/key.pem',
];

describe('sftp privateKey', () => {
  const withKey = (key: string) => {
    const u = new URL(sftp.url);
    u.searchParams.set('privateKey', key);
    return u.toString();
  };
  it("refuses a key outside the key folders, naming privateKey (even the server's real key, kept elsewhere)", async () => {
    for (const p of [...outsidePaths(), new URL(sftp.url).searchParams.get('privateKey')!]) {
      const m = await refusal(() => sftpTransport(withKey(p), networkReach(policy), policy), /^sftp: privateKey: /);
      expect(m).toMatch(OUTSIDE);
    }
  });
  it('logs in with the same key once it is in a key folder', async () => {
    const key = path.join(keys, 'client_key');
    copyFileSync(new URL(sftp.url).searchParams.get('privateKey')!, key);
    const t = await sftpTransport(withKey(key), networkReach(policy), policy);
    try {
      expect((await t.stat('people.csv')).size).toBe(5);
    } finally {
      await t.close();
    }
  });
});

describe('https ca', () => {
  const withCa = (ca: string) => https.url.replace(/\?ca=.*$/, `?ca=${enc(ca)}`);
  it('refuses a CA file outside the key folders, naming ca', async () => {
    for (const p of outsidePaths()) {
      expect(
        await refusal(() => httpTransport(withCa(p), networkReach(policy), undefined, policy), /^http: ca: /),
      ).toMatch(OUTSIDE);
    }
  });
  it('trusts a CA file in a key folder', async () => {
    const ca = path.join(keys, 'ca.pem');
    copyFileSync(decodeURIComponent(/\?ca=(.*)$/.exec(https.url)![1]!), ca);
    expect((await httpTransport(withCa(ca), networkReach(policy), undefined, policy).stat('in/people.csv')).size).toBe(
      5,
    );
  });
});

describe('snowflake private_key_path', () => {
  const url = (p: string, pass?: string) =>
    `snowflake://reader@acct/DB/PUBLIC?warehouse=WH&private_key_path=${enc(p)}${pass ? `&private_key_pass=${enc(pass)}` : ''}`;
  it('refuses a key outside the key folders, and names a file that is no key without quoting it', async () => {
    for (const p of outsidePaths())
      expect(await refusal(() => snowflakeOptions(url(p), policy), /^snowflake: private_key_path: /)).toMatch(OUTSIDE);
    await refusal(
      () => snowflakeOptions(url(path.join(keys, 'not-a-key.pem')), policy),
      /^snowflake: private_key_path: cannot be read as a private key/,
    );
    await refusal(
      () => snowflakeOptions(url(path.join(keys, 'missing.p8')), policy),
      /^snowflake: private_key_path: cannot read the file .*missing\.p8 \(ENOENT\)/,
    );
  });
  it('reads an encrypted key in a key folder with its passphrase', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const file = path.join(keys, 'sf.p8');
    writeFileSync(
      file,
      privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pass-phrase' }),
    );
    const opts = snowflakeOptions(url(file, 'pass-phrase'), policy).options as {
      privateKey?: string;
      privateKeyPath?: string;
    };
    expect(opts.privateKeyPath).toBeUndefined();
    expect(opts.privateKey).toBe(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    expect(publicKey.asymmetricKeyType).toBe('rsa');
  });
});

describe('bigquery key_file', () => {
  const url = (p: string) => `bigquery://proj/ds?key_file=${enc(p)}`;
  it('refuses a key file outside the key folders, and names one that is no key without quoting it', async () => {
    for (const p of outsidePaths())
      expect(await refusal(() => bigqueryEndpoint(url(p), policy), /^bigquery: key_file: /)).toMatch(OUTSIDE);
    await refusal(
      () => bigqueryEndpoint(url(path.join(keys, 'not-a-key.pem')), policy),
      /^bigquery: key_file: is not a service-account key \(not JSON\)/,
    );
  });
  it('reads a service-account key in a key folder', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const file = path.join(keys, 'sa.json');
    writeFileSync(
      file,
      JSON.stringify({
        client_email: 'reader@proj.iam.gserviceaccount.com',
        private_key: privateKey.export({ format: 'pem', type: 'pkcs8' }),
      }),
    );
    expect(bigqueryEndpoint(url(file), policy).project).toBe('proj');
  });
});
