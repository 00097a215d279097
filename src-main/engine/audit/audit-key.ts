import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SecretCipher } from '../connections/secret-store';
import { readJsonIfExists } from '../util/files';

export interface AuditKey {
  key: Buffer;
  /** The first record hashed with the key; earlier ones predate keying (plain SHA-256). */
  keyedFrom: number;
}

export interface AuditKeyOptions {
  /**
   * Seals the key at rest (the desktop app: Electron's safeStorage, i.e. the OS
   * keychain). Without one (browser mode) the key file is readable by its owner only (0600).
   */
  cipher?: { encrypt: SecretCipher['encrypt']; decrypt: SecretCipher['decrypt'] };
}

interface KeyFile {
  version: 1;
  keyedFrom: number;
  /** base64 key (browser mode, 0600 file) */
  key?: string;
  /** the key sealed by the cipher (desktop) */
  sealed?: string;
}

/**
 * Loads the audit chain's HMAC key, creating it on first use. Kept in its own file
 * beside (never inside) the log, written once and exclusively, so a second
 * process racing to create it cannot replace a key already in use.
 */
export async function loadAuditKey(file: string, nextSeq: number, options: AuditKeyOptions = {}): Promise<AuditKey> {
  const existing = await readJsonIfExists<KeyFile>(file);
  if (existing) return decode(existing, file, options);
  const key = randomBytes(32);
  const stored: KeyFile = options.cipher
    ? { version: 1, keyedFrom: nextSeq, sealed: options.cipher.encrypt(key.toString('base64')) }
    : { version: 1, keyedFrom: nextSeq, key: key.toString('base64') };
  await mkdir(dirname(file), { recursive: true });
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(stored), 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const raced = await readJsonIfExists<KeyFile>(file);
    if (raced) return decode(raced, file, options);
    throw err;
  }
  await chmod(file, 0o600).catch(() => undefined);
  return { key, keyedFrom: nextSeq };
}

function decode(stored: KeyFile, file: string, options: AuditKeyOptions): AuditKey {
  if (stored.version !== 1 || typeof stored.keyedFrom !== 'number') throw new Error(`The audit key file ${file} has an unknown format.`);
  if (stored.sealed !== undefined) {
    if (!options.cipher) throw new Error(`The audit key in ${file} is sealed by the desktop app's key store, which this process cannot open: verify the log from the desktop app.`);
    return { key: Buffer.from(options.cipher.decrypt(stored.sealed), 'base64'), keyedFrom: stored.keyedFrom };
  }
  if (typeof stored.key !== 'string') throw new Error(`The audit key file ${file} holds no key.`);
  return { key: Buffer.from(stored.key, 'base64'), keyedFrom: stored.keyedFrom };
}
