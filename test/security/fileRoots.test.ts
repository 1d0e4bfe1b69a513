/**
 * Local file sources read only under the operator's file roots, judged by real path: the whole file
 * system (file:///), a folder outside the roots, `..` and a symlink leading out, and the data folder's
 * master key are refused, through the same connectors the worker and the API use.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { operatorPolicyFromEnv, type OperatorPolicy } from '../../connectors/common/operatorPolicy';
import { connectionFromUrl } from '../../connectors/connections';
import { createFileConnectors } from '../../connectors/files/connectors';
import { fileReach, openTransport } from '../../connectors/files/transports/open';
import { readAll } from '../../connectors/files/transports/transport';
import { localSecretKey } from '../../store/localSecrets';
import { fileSource } from '../../domain/importSpec';
import { readWith, tempDir } from '../files/readFile';
import { listDropFolderActivity } from '../../activities/dropFolder';
import { staticConnections } from '../../connectors/connections';
import { FILE_CURSOR } from '../../domain/importSpec';
import type pg from 'pg';

const CANARY = 'CANARY-7f3a9c-not-for-your-eyes';
let top: string;
let dataDir: string;
let drop: string;
let outside: string;
let policy: OperatorPolicy;

beforeAll(async () => {
  top = await tempDir();
  dataDir = path.join(top, 'data');
  drop = path.join(dataDir, 'drop');
  outside = path.join(top, 'elsewhere');
  await mkdir(path.join(drop, 'in'), { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(path.join(drop, 'in', 'ok.csv'), 'id,name\n1,Ann\n');
  await writeFile(path.join(outside, 'secret.csv'), `id,name\n1,${CANARY}\n`);
  await symlink(path.join(outside, 'secret.csv'), path.join(drop, 'in', 'link.csv'));
  await symlink(outside, path.join(drop, 'elsewhere-dir'));
  localSecretKey(dataDir);
  // The operator's settings as the worker reads them: the default root is the data folder's drop folder.
  policy = operatorPolicyFromEnv({ TRIBUTARY_DATA_DIR: dataDir });
});

const open = (url: string, p: OperatorPolicy = policy) => openTransport(connectionFromUrl(url), fileReach(p));

describe('local file sources and the file roots', () => {
  it("reads a file under the root (the data folder's drop folder by default)", async () => {
    expect(policy.fileRoots).toEqual([drop]);
    const t = await open(pathToFileURL(drop).toString());
    expect((await readAll(t, 'in/ok.csv')).toString()).toBe('id,name\n1,Ann\n');
  });

  it('refuses file:/// (the whole file system) as a connection', async () => {
    await expect(open('file:///')).rejects.toThrow(/^file: the connection file:\/\/\/ is the whole file system/);
    // Even when the operator made / a root: the connection must name a folder.
    await expect(open('file:///', { ...policy, fileRoots: ['/'] })).rejects.toThrow(/whole file system/);
    const session = createFileConnectors({ policy }).file!.open(connectionFromUrl('file:///'));
    await expect(session).rejects.toThrow(/whole file system/);
  });

  it('refuses a connection folder outside the roots, without saying whether it exists', async () => {
    await expect(open(pathToFileURL(outside).toString())).rejects.toThrow(
      /is outside the folders file sources may read/,
    );
    await expect(open('file:///etc')).rejects.toThrow(/is outside the folders file sources may read/);
    await expect(open(pathToFileURL(path.join(top, 'no-such-folder')).toString())).rejects.toThrow(
      /is outside the folders file sources may read/,
    );
  });

  it('refuses .. climbing out of the root, in the connection and in a file path', async () => {
    // A URL's .. segments are resolved by the URL itself: the folder is then outside the root.
    await expect(open(`${pathToFileURL(drop).toString()}/../../elsewhere`)).rejects.toThrow(/outside the folders/);
    const t = await open(pathToFileURL(drop).toString());
    await expect(t.stat('../../elsewhere/secret.csv')).rejects.toThrow(
      /^file \.\.\/\.\.\/elsewhere\/secret\.csv is outside the folders/,
    );
    await expect(t.read('../../elsewhere/secret.csv', 0)).rejects.toThrow(/outside the folders/);
  });

  it('refuses a symlink under the root that leads out of it (file and folder), and does not list it', async () => {
    const t = await open(pathToFileURL(drop).toString());
    await expect(t.stat('in/link.csv')).rejects.toThrow(/^file in\/link\.csv is outside the folders/);
    await expect(t.read('in/link.csv', 0)).rejects.toThrow(/outside the folders/);
    await expect(t.stat('elsewhere-dir/secret.csv')).rejects.toThrow(/outside the folders/);
    await expect(t.list('elsewhere-dir')).rejects.toThrow(/outside the folders/);
    expect((await t.list('in')).map((f) => f.path)).toEqual(['in/ok.csv']);
    // Through a whole session (what a dry run does): refused, and the content never appears.
    const session = await createFileConnectors({ policy }).file!.open(
      connectionFromUrl(pathToFileURL(drop).toString()),
    );
    const err = await readWith(session, fileSource.parse({ path: 'in/link.csv', format: 'csv' })).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/outside the folders/);
    expect(err?.message).not.toContain(CANARY);
    await session.close();
  });

  it("never reads the data folder's master key, even if the operator made the data folder a root", async () => {
    await expect(open(pathToFileURL(dataDir).toString())).rejects.toThrow(/outside the folders/);
    const loose = operatorPolicyFromEnv({ TRIBUTARY_DATA_DIR: dataDir, TRIBUTARY_FILE_ROOTS: dataDir });
    const t = await open(pathToFileURL(dataDir).toString(), loose);
    await expect(t.stat('secret-key')).rejects.toThrow(/^file secret-key is outside the folders/);
    await expect(t.read('secret-key', 0)).rejects.toThrow(/outside the folders/);
    expect((await t.list('')).map((f) => f.path)).not.toContain('secret-key');
    // The drop folder under it is still readable.
    expect((await readAll(t, 'drop/in/ok.csv')).toString()).toBe('id,name\n1,Ann\n');
  });

  it('a drop folder lists only under the roots', async () => {
    const list = (connection: string) =>
      listDropFolderActivity({
        // The listing is refused before the store is asked what was imported.
        store: null as unknown as pg.Pool,
        connectors: {},
        resolveConnection: staticConnections({
          outside: pathToFileURL(outside).toString(),
          drop: pathToFileURL(drop).toString(),
        }),
        policy,
      })({
        spec: {
          id: 'drop-reach',
          name: 'drop',
          dataType: 'profile',
          cursor: FILE_CURSOR,
          source: { connection, folder: { path: '', pattern: '*.csv', requireManifest: false, format: 'csv' } },
          mapping: { userId: { column: 'id' }, idType: { value: 'email' } },
        },
      });
    await expect(list('outside')).rejects.toThrow(/is outside the folders file sources may read/);
    await expect(list('drop')).rejects.not.toThrow(/outside/); // listed; then the (absent) store is asked
  });
});
