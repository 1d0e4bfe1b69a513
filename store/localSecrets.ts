/**
 * Secrets kept in the data folder when the operator injects none: the master key that seals stored
 * connections (`secret-key`, for TRIBUTARY_SECRET_KEY) and the embedded store's password
 * (`store-password`). Each is random, created once, and readable by this user only (mode 0600; a file
 * found looser is tightened). The data folder is outside every file root by default, and file sources
 * refuse these paths even under a root (operatorPolicy's protectedPaths).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const SECRET_KEY_FILE = 'secret-key';
export const STORE_PASSWORD_FILE = 'store-password';

/** Tighten a secret file to 0600 if group or others may touch it. */
export function tighten(file: string): void {
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
}

/** Write a secret file with mode 0600 whole or not at all (a temporary file, then a rename). */
export function writeSecret(file: string, value: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${value}\n`, { mode: 0o600, flag: 'w' });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** A secret file's value, tightened to 0600; null if there is none. */
export function readSecret(file: string): string | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  tighten(file);
  return text.trim();
}

/** A fresh random secret: 32 bytes, as hex (the form TRIBUTARY_SECRET_KEY takes) or URL-safe base64. */
export const randomSecret = (encoding: 'hex' | 'base64url'): string => randomBytes(32).toString(encoding);

/** The data folder's master key: created on first use, 0600. */
export function localSecretKey(dataDir: string): string {
  const file = path.join(dataDir, SECRET_KEY_FILE);
  const existing = readSecret(file);
  if (existing) return existing;
  writeSecret(file, randomSecret('hex'));
  return readSecret(file)!;
}
