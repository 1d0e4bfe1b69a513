/**
 * Secrets at rest: connection URLs and webhook secrets are stored encrypted (AES-256-GCM) with a key from
 * TRIBUTARY_SECRET_KEY, which the API and the worker share. GCM authenticates as well as encrypts, so a
 * tampered or wrongly-keyed value fails loudly instead of decrypting to garbage.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ConfigurationError } from './source';

const VERSION = 'v1';

/**
 * The key from the environment: 32 bytes given as 64 hex digits or base64, or any passphrase of 16+
 * characters, stretched with HKDF (a passphrase is the operator's choice; its entropy is theirs too).
 * Null when unset, so processes that never touch stored secrets still start.
 */
export function secretKeyFrom(value: string | undefined = process.env.TRIBUTARY_SECRET_KEY): Buffer | null {
  if (!value) return null;
  if (/^[0-9a-f]{64}$/i.test(value)) return Buffer.from(value, 'hex');
  const b64 = /^[A-Za-z0-9+/_-]{43}=?$/.test(value) ? Buffer.from(value, 'base64') : null;
  if (b64?.length === 32) return b64;
  if (value.length < 16)
    throw new ConfigurationError(
      'TRIBUTARY_SECRET_KEY must be 32 bytes (hex or base64) or a passphrase of at least 16 characters',
    );
  return Buffer.from(hkdfSync('sha256', value, 'tributary-secrets', 'v1', 32));
}

export function requireSecretKey(key: Buffer | null): Buffer {
  if (!key)
    throw new ConfigurationError(
      'TRIBUTARY_SECRET_KEY is not set: stored connections and webhook secrets cannot be used',
    );
  return key;
}

export function encryptSecret(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(':');
}

export function decryptSecret(key: Buffer, sealed: string): string {
  const [version, iv, tag, ct] = sealed.split(':');
  if (version !== VERSION || !iv || !tag || ct === undefined)
    throw new ConfigurationError('stored secret is not in a known format');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    // Never echo the ciphertext or the key: only that this key does not open it.
    throw new ConfigurationError('stored secret cannot be decrypted with TRIBUTARY_SECRET_KEY (was the key changed?)');
  }
}
