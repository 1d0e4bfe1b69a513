/**
 * The four transports against real servers on loopback (started here): a local folder, an HTTP server
 * with basic auth and ranges (plain and over TLS), OpenSSH's SFTP, and versitygw (S3). Each reads the same CSV whole and
 * resumed from mid-file (a ranged read), lists a folder, and explains a missing file and bad credentials.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileConnector } from '../../connectors/files/fileSource';
import http from 'node:http';
import { HTTP_CONNECT_TIMEOUT_MS, HTTP_READ_TIMEOUT_MS, httpTransport } from '../../connectors/files/transports/http';
import { s3Transport } from '../../connectors/files/transports/s3';
import { fileReach, openTransport } from '../../connectors/files/transports/open';
import { testPolicy } from '../helpers/testPolicy';
import { connectionFromUrl } from '../../connectors/connections';
import { fileSource } from '../../domain/importSpec';
import { type Running, startHttp, startS3, startSftp } from './fileServers';
import { readWith, tempDir } from './readFile';

const ROWS = 5000;
const csv =
  ['id,name,note', ...Array.from({ length: ROWS }, (_, i) => `${i + 1},"ünï ${i + 1}","line\nbreak, ""q"""`)].join(
    '\r\n',
  ) + '\r\n';
const expectedRow = (i: number) => ({ id: String(i), name: `ünï ${i}`, note: 'line\nbreak, "q"' });

interface Target {
  name: string;
  url: string;
  /** Put a file where the server serves it. */
  put(rel: string, body: string): Promise<void>;
  badCredentials: string;
  server?: Running;
}

const targets: Target[] = [];
const reach = fileReach(testPolicy());
beforeAll(async () => {
  const local = await tempDir();
  targets.push({
    name: 'local',
    url: pathToFileURL(local).toString(),
    badCredentials: '',
    put: async (rel, body) => {
      await mkdir(path.dirname(path.join(local, rel)), { recursive: true });
      await writeFile(path.join(local, rel), body);
    },
  });
  const web = await startHttp();
  targets.push({
    name: 'http',
    url: web.url,
    server: web,
    badCredentials: web.url.replace('s3cret', 'wrong'),
    put: async (rel, body) => {
      await mkdir(path.dirname(path.join(web.root, rel)), { recursive: true });
      await writeFile(path.join(web.root, rel), body);
    },
  });
  // HTTPS: real TLS with a self-signed certificate, trusted only through the connection's ?ca= file.
  const secure = await startHttp({ tls: true });
  targets.push({
    name: 'https',
    url: secure.url,
    server: secure,
    badCredentials: secure.url.replace('s3cret', 'wrong'),
    put: async (rel, body) => {
      await mkdir(path.dirname(path.join(secure.root, rel)), { recursive: true });
      await writeFile(path.join(secure.root, rel), body);
    },
  });
  const sftp = await startSftp();
  targets.push({
    name: 'sftp',
    url: sftp.url,
    server: sftp,
    badCredentials: sftp.url.replace(/sftp:\/\/[^@]+@/, 'sftp://nobody@'),
    put: async (rel, body) => {
      await mkdir(path.dirname(path.join(sftp.root, rel)), { recursive: true });
      await writeFile(path.join(sftp.root, rel), body);
    },
  });
  const s3 = await startS3('drops');
  const s3t = s3Transport(s3.url, reach.network);
  targets.push({
    name: 's3',
    url: s3.url,
    server: s3,
    badCredentials: s3.url.replace(s3.secretKey, 'not-the-secret'),
    put: async (rel, body) => {
      await s3t.client.send(new PutObjectCommand({ Bucket: 'drops', Key: rel, Body: body }));
    },
  });
}, 120_000);
afterAll(async () => {
  for (const t of targets) await t.server?.stop();
});

describe.each(['local', 'http', 'https', 'sftp', 's3'])('%s', (name) => {
  const target = () => targets.find((t) => t.name === name)!;
  const open = (url = target().url) =>
    createFileConnector(connectionFromUrl(url).kind, reach).open(connectionFromUrl(url));

  it('reads a CSV whole, then resumes from a mid-file position with a ranged read', async () => {
    await target().put('in/people.csv', csv);
    const session = await open();
    try {
      const file = fileSource.parse({ path: 'in/people.csv', format: 'csv' });
      const all = await readWith(session, file);
      expect(all.rows).toHaveLength(ROWS);
      expect(all.rows[0]).toEqual(expectedRow(1));
      expect(all.rows[ROWS - 1]).toEqual(expectedRow(ROWS));
      const rest = await readWith(session, file, { after: all.positions[3999], limit: 10 });
      expect(rest.rows).toEqual(Array.from({ length: 10 }, (_, i) => expectedRow(4001 + i)));
      expect(rest.positions[0]).toEqual(all.positions[4000]);
    } finally {
      await session.close();
    }
  });

  it('lists a folder (or says it cannot), and names a missing file', async () => {
    await target().put('list/a.csv', 'x\n1\n');
    await target().put('list/b.csv', 'x\n2\n');
    const transport = await openTransport(connectionFromUrl(target().url), reach);
    try {
      if (name.startsWith('http')) {
        await expect(transport.list('list')).rejects.toThrow(
          'http: an HTTP connection reads files by path; it cannot list a folder',
        );
      } else {
        const listed = await transport.list('list');
        expect(listed.map((f) => [f.path, f.size]).sort()).toEqual([
          ['list/a.csv', 4],
          ['list/b.csv', 4],
        ]);
      }
      await expect(transport.stat('list/nope.csv')).rejects.toThrow(/does not exist/);
    } finally {
      await transport.close();
    }
  });

  it.skipIf(name === 'local')('refuses bad credentials with a configuration error that shows no secret', async () => {
    const err = await (async () => {
      const session = await open(target().badCredentials);
      try {
        await session.columns({ file: fileSource.parse({ path: 'in/people.csv', format: 'csv' }) });
      } finally {
        await session.close();
      }
    })().then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.name).toBe('ConfigurationError');
    expect(err?.message).toMatch(/refused|failed|credentials|keys/);
    expect(err?.message).not.toContain('s3cret');
    expect(err?.message).not.toContain('not-the-secret');
  });
});

it('https: a certificate no trusted CA signed is refused, naming the server and the reason', async () => {
  const secure = targets.find((t) => t.name === 'https')!;
  const untrusted = secure.url.replace(/\?ca=.*$/, '');
  await expect(httpTransport(untrusted, reach.network).stat('in/people.csv')).rejects.toThrow(
    /^http: https:\/\/127\.0\.0\.1:\d+\/files\/in\/people\.csv: self[- ]signed certificate/,
  );
});

it('http: times out a server that stops sending (read timeout; 1 h by default, 30 s to connect)', async () => {
  expect([HTTP_CONNECT_TIMEOUT_MS, HTTP_READ_TIMEOUT_MS]).toEqual([30_000, 3_600_000]);
  const sockets = new Set<import('node:net').Socket>();
  const stall = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('id\n1\n'); // and then nothing
  });
  stall.on('connection', (s) => sockets.add(s));
  await new Promise<void>((resolve) => stall.listen(0, '127.0.0.1', resolve));
  try {
    const t = httpTransport(`http://127.0.0.1:${(stall.address() as { port: number }).port}/`, reach.network, {
      connectMs: 30_000,
      readMs: 300,
    });
    const body = await t.read('slow.csv', 0);
    const err = await (async () => {
      for await (const _ of body) {
        /* drain */
      }
    })().then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^http: http:\/\/127\.0\.0\.1:\d+\/slow\.csv sent nothing for 0\.3 s$/);
  } finally {
    for (const s of sockets) s.destroy();
    stall.close();
  }
});

it('http: a server that ignores Range is read from the start and the bytes before the position skipped', async () => {
  const web = await startHttp({ ignoreRanges: true });
  try {
    await writeFile(path.join(web.root, 'p.csv'), csv);
    const conn = connectionFromUrl(web.url);
    const session = await createFileConnector(conn.kind, reach).open(conn);
    const file = fileSource.parse({ path: 'p.csv', format: 'csv' });
    const all = await readWith(session, file, { limit: 100 });
    const rest = await readWith(session, file, { after: all.positions[99], limit: 5 });
    expect(rest.rows).toEqual(Array.from({ length: 5 }, (_, i) => expectedRow(101 + i)));
    await session.close();
  } finally {
    await web.stop();
  }
});
