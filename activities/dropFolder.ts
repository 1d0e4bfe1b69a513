/**
 * listDropFolder: one look at a drop folder. Data files matching the pattern whose manifest has arrived
 * (or every match, without manifests) are identified by path, size and checksum (SHA-256 of the content;
 * the ETag on S3), and those whose identity the store has already recorded are left out. For each new
 * or changed file it returns the import spec of that one file, built from the folder's spec and the
 * manifest, so the workflow starts one import per file. Manifests are small and hold no secrets.
 */
import { createHash } from 'node:crypto';
import {
  FILE_CURSOR,
  type FolderSource,
  type ImportSpec,
  type ImportSpecInput,
  InvalidSpecError,
  parseImportSpec,
} from '../domain/importSpec';
import { manifestFields, manifestFieldsText, manifestSchema } from '../domain/manifest';
import { columnName } from '../connectors/files/columnNames';
import { fileReach, openTransport } from '../connectors/files/transports/open';
import { operatorPolicyFromEnv } from '../connectors/common/operatorPolicy';
import { readAll, type FileInfo, type Transport } from '../connectors/files/transports/transport';
import { ConfigurationError, type ConnectionConfig } from '../connectors/source';
import { scrubberFor, scrubbing } from '../connectors/common/secretScrub';
import { type ActivityDeps } from '../engine/deps';
import { heartbeat } from './keepAlive';
import { namedForConnection } from '../connectors/common/optionalPackages';
import { importedFileIdentities } from '../store/importedFiles';

export interface ListDropFolderInput {
  spec: ImportSpecInput;
}

export interface ReadyFile {
  path: string;
  identity: string;
  /** `<size>|<version>` as listed: the file's run reads exactly this version or fails. */
  pin: string;
  spec: ImportSpecInput;
}

export interface DropFolderListing {
  ready: ReadyFile[];
  /** Data files whose manifest has not arrived yet. */
  waiting: string[];
  /** Data files whose manifest cannot be used, and why (taken up again once the manifest is fixed). */
  invalid: { path: string; reason: string }[];
  /** Data files already imported in this version. */
  alreadyImported: string[];
}

/** A file-name glob: * any run of characters, ? one character. */
export function globMatcher(pattern: string): (name: string) => boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return (name) => re.test(name);
}

const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);

async function checksum(t: Transport, f: FileInfo): Promise<string> {
  // An S3 ETag already names the content; elsewhere the content is hashed (streamed).
  if (f.version.startsWith('"')) return `etag:${f.version}`;
  const h = createHash('sha256');
  let n = 0;
  for await (const chunk of await t.read(f.path, 0, undefined, f.version)) {
    h.update(chunk as Buffer);
    n += (chunk as Buffer).length;
    if (n % (64 * 1024 * 1024) < (chunk as Buffer).length) heartbeat({ stage: 'listing', hashing: f.path, bytes: n });
  }
  return `sha256:${h.digest('hex')}`;
}

export const fileIdentity = (path: string, size: number, sum: string): string =>
  createHash('sha256').update(`${path}\n${size}\n${sum}`).digest('hex').slice(0, 40);

/** The spec of one file: the folder's format with the manifest's overrides, and its columns mapped. */
export function fileSpec(
  folderSpec: ImportSpec,
  folder: FolderSource,
  path: string,
  manifestText: string | null,
): ImportSpecInput {
  let manifest = manifestSchema.parse({});
  if (manifestText !== null) {
    let json: unknown;
    try {
      json = JSON.parse(manifestText);
    } catch (err) {
      throw new ConfigurationError(`the manifest is not JSON: ${(err as Error).message}`);
    }
    const parsed = manifestSchema.safeParse(json);
    if (!parsed.success) {
      throw new ConfigurationError(
        `the manifest is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      );
    }
    manifest = parsed.data;
  }
  const {
    path: _folderPath,
    pattern: _pattern,
    manifestSuffix: _suffix,
    requireManifest: _require,
    ...format
  } = folder;
  const file = {
    ...format,
    path,
    ...(manifest.delimiter !== undefined ? { delimiter: manifest.delimiter } : {}),
    ...(manifest.encoding !== undefined ? { encoding: manifest.encoding } : {}),
    ...(manifest.header !== undefined ? { header: manifest.header } : {}),
    ...(manifest.quote !== undefined ? { quote: manifest.quote } : {}),
  };
  const mapped = manifest.columns.map((c) => ({
    column: columnName(c.column),
    property: c.property ?? c.column,
    type: c.type,
    ...(c.format !== undefined ? { format: c.format } : {}),
  }));
  const mapping: Record<string, unknown> = { ...folderSpec.mapping };
  if (mapped.length > 0) {
    // The data type's own list of typed columns takes them (domain/manifest.ts).
    const field = manifestFields.get(folderSpec.dataType);
    if (!field) {
      throw new ConfigurationError(
        `manifest columns map ${manifestFieldsText()}; a ${folderSpec.dataType} import takes none`,
      );
    }
    mapping[field] = mapped;
  }
  const spec = {
    ...folderSpec,
    source: { connection: folderSpec.source.connection, file },
    cursor: { ...FILE_CURSOR, lag: 0 },
    mapping,
  };
  try {
    return parseImportSpec(spec);
  } catch (err) {
    if (err instanceof InvalidSpecError) throw new ConfigurationError(err.message);
    throw err;
  }
}

export function listDropFolderActivity(deps: ActivityDeps) {
  const reach = fileReach(deps.policy ?? operatorPolicyFromEnv());
  return async function listDropFolder({ spec: input }: ListDropFolderInput): Promise<DropFolderListing> {
    const spec = parseImportSpec(input);
    const folder = spec.source.folder;
    if (!folder) throw new ConfigurationError('a drop folder import needs source.folder');
    const config = await deps.resolveConnection(spec.source.connection);
    // The transport's errors (a wrong password, an unreachable host) leave here scrubbed of the connection's secrets.
    return scrubbing(scrubberFor(config), () => list(spec, folder, config)).catch((err: unknown) => {
      throw namedForConnection(err, spec.source.connection);
    });
  };

  async function list(
    spec: ImportSpec,
    folder: NonNullable<ImportSpec['source']['folder']>,
    config: ConnectionConfig,
  ): Promise<DropFolderListing> {
    const transport = await openTransport(config, reach);
    try {
      const files = await transport.list(folder.path);
      const byName = new Map(files.map((f) => [baseName(f.path), f]));
      const matches = globMatcher(folder.pattern);
      const data = files
        .filter((f) => !f.path.endsWith(folder.manifestSuffix) && matches(baseName(f.path)))
        .sort((a, b) => a.path.localeCompare(b.path));
      const done = new Set(await importedFileIdentities(deps.store, spec.id));
      const out: DropFolderListing = { ready: [], waiting: [], invalid: [], alreadyImported: [] };
      for (const f of data) {
        const manifestFile = byName.get(baseName(f.path) + folder.manifestSuffix);
        if (folder.requireManifest && !manifestFile) {
          out.waiting.push(f.path);
          continue;
        }
        const identity = fileIdentity(f.path, f.size, await checksum(transport, f));
        if (done.has(identity)) {
          out.alreadyImported.push(f.path);
          continue;
        }
        try {
          const manifestText = manifestFile ? (await readAll(transport, manifestFile.path)).toString('utf8') : null;
          out.ready.push({
            path: f.path,
            identity,
            pin: `${f.size}|${f.version}`,
            spec: fileSpec(spec, folder, f.path, manifestText),
          });
        } catch (err) {
          if (!(err instanceof ConfigurationError)) throw err;
          out.invalid.push({ path: f.path, reason: err.message });
        }
      }
      return out;
    } finally {
      await transport.close();
    }
  }
}
