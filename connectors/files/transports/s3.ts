/**
 * S3-compatible object stores: `s3://ACCESS_KEY:SECRET@host:port/bucket/prefix?region=us-east-1&tls=false`
 * (path-style addressing, so MinIO, versitygw, Ceph and AWS itself all work). The version is the ETag;
 * reads of a pinned version send If-Match, so an object replaced mid-import fails loudly instead of
 * mixing two files. The endpoint's address is checked against the operator's policy on every connection
 * (the SDK's agents resolve names through networkReach's lookup).
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { ConfigurationError } from '../../source';
import { SourceUnavailableError } from '../../common/errors';
import type { NetworkReach } from '../../common/networkReach';
import { joinPath, type FileInfo, type Transport } from './transport';

export function s3Transport(url: string, reach: NetworkReach): Transport & { client: S3Client; bucket: string } {
  const u = new URL(url);
  const tls = u.searchParams.get('tls') !== 'false';
  const [bucket = '', ...prefixParts] = u.pathname.replace(/^\/+/, '').split('/');
  if (!bucket)
    throw new ConfigurationError('s3: the connection URL must name a bucket: s3://key:secret@host/bucket/prefix');
  const prefix = prefixParts.filter(Boolean).join('/');
  try {
    reach.checkHost(u.hostname);
  } catch (err) {
    throw new ConfigurationError(`s3: ${(err as Error).message}`);
  }
  const client = new S3Client({
    endpoint: `${tls ? 'https' : 'http'}://${u.host}`,
    region: u.searchParams.get('region') ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: decodeURIComponent(u.username), secretAccessKey: decodeURIComponent(u.password) },
    requestHandler: {
      connectionTimeout: 30_000,
      requestTimeout: 60 * 60 * 1000,
      httpAgent: new http.Agent({ keepAlive: true, lookup: reach.lookup }),
      httpsAgent: new https.Agent({ keepAlive: true, lookup: reach.lookup }),
    },
  });
  const key = (rel: string) => (prefix ? joinPath(prefix, rel) : rel);
  const rel = (k: string) => (prefix ? k.slice(prefix.length + 1) : k);

  const explain = (err: unknown, what: string): Error => {
    if (err instanceof ConfigurationError) return new ConfigurationError(`s3: ${err.message}`);
    if (err instanceof S3ServiceException) {
      const status = err.$metadata.httpStatusCode ?? 0;
      if (err.name === 'NoSuchKey' || err.name === 'NotFound' || status === 404)
        return new ConfigurationError(`s3: ${what} does not exist`);
      if (err.name === 'NoSuchBucket') return new ConfigurationError(`s3: bucket ${bucket} does not exist`);
      if (status === 403 || err.name === 'InvalidAccessKeyId' || err.name === 'SignatureDoesNotMatch') {
        return new ConfigurationError(`s3: access to ${what} refused (${err.name}): check the connection's keys`);
      }
      if (status === 412)
        return new ConfigurationError(`s3: ${what} changed while it was being imported (ETag no longer matches)`);
      return new SourceUnavailableError(`s3: ${what}: ${err.name} ${err.message}`);
    }
    return new SourceUnavailableError(`s3: ${what}: ${(err as Error).message}`);
  };

  return {
    client,
    bucket,
    stat: async (path) => {
      try {
        const h = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key(path) }));
        return { path, size: Number(h.ContentLength ?? 0), version: versionOf(h.ETag, h.LastModified) };
      } catch (err) {
        throw explain(err, `s3://${bucket}/${key(path)}`);
      }
    },
    read: async (path, start, end, version) => {
      try {
        const range = start > 0 || end !== undefined ? `bytes=${start}-${end !== undefined ? end - 1 : ''}` : undefined;
        const res = await client.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: key(path),
            Range: range,
            ...(version?.startsWith('"') ? { IfMatch: version } : {}),
          }),
        );
        return res.Body as Readable;
      } catch (err) {
        throw explain(err, `s3://${bucket}/${key(path)}`);
      }
    },
    list: async (folder) => {
      const out: FileInfo[] = [];
      const p = key(folder);
      const listPrefix = p ? `${p.replace(/\/+$/, '')}/` : '';
      let token: string | undefined;
      try {
        do {
          const page = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: listPrefix, Delimiter: '/', ContinuationToken: token }),
          );
          for (const o of page.Contents ?? []) {
            if (!o.Key || o.Key.endsWith('/')) continue;
            out.push({ path: rel(o.Key), size: Number(o.Size ?? 0), version: versionOf(o.ETag, o.LastModified) });
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } catch (err) {
        throw explain(err, `s3://${bucket}/${listPrefix}`);
      }
      return out;
    },
    close: async () => client.destroy(),
  };
}

/**
 * The ETag; a store that keeps none falls back to the modification time in whole seconds (what HEAD's
 * Last-Modified header carries, so a listing and a HEAD agree).
 */
const versionOf = (etag: string | undefined, modified: Date | undefined): string =>
  etag || `mtime:${Math.floor((modified?.getTime() ?? 0) / 1000)}`;
