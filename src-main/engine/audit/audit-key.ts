import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
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
  /** HMAC of `keyedFrom` under the key: raising it (to have older records checked unkeyed) is detected. */
  tag?: string;
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
export async function loadAuditKey(file: string, nextSeq: number, options: AuditKeyOptions = {}, logWasKeyed = false): Promise<AuditKey> {
  const existing = await readJsonIfExists<KeyFile>(file);
  if (existing) return decode(existing, file, options);
  // A log whose head says it was keyed lost its key (or had it removed): a new key would let a rewritten log verify.
  if (logWasKeyed)
    throw new Error(`The audit log's key (${file}) is missing, so its chain cannot be checked or continued: restore the key file from a backup.`);
  const key = randomBytes(32);
  const tag = tagOf(key, nextSeq);
  const stored: KeyFile = options.cipher
    ? { version: 1, keyedFrom: nextSeq, tag, sealed: options.cipher.encrypt(key.toString('base64')) }
    : { version: 1, keyedFrom: nextSeq, tag, key: key.toString('base64') };
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
  let key: Buffer;
  if (stored.sealed !== undefined) {
    if (!options.cipher)
      throw new Error(
        `The audit log of this data directory is keyed by the desktop app's key store, which browser mode cannot open: use the desktop app, or start browser mode with a data directory of its own (--data-dir).`,
      );
    key = Buffer.from(options.cipher.decrypt(stored.sealed), 'base64');
  } else {
    // Where a key store exists, a key in clear is one it never sealed: planted, or from browser mode on the same folder.
    if (options.cipher)
      throw new Error(
        `The audit key in ${file} is not sealed by this machine's key store, so the log cannot be trusted: the desktop app keeps its own data directory apart from browser mode's.`,
      );
    if (typeof stored.key !== 'string') throw new Error(`The audit key file ${file} holds no key.`);
    key = Buffer.from(stored.key, 'base64');
  }
  const expected = Buffer.from(tagOf(key, stored.keyedFrom), 'hex');
  const given = Buffer.from(stored.tag ?? '', 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new Error(`The audit key file ${file} was altered (the record the chain is keyed from does not match its key): the log cannot be trusted.`);
  return { key, keyedFrom: stored.keyedFrom };
}

function tagOf(key: Buffer, keyedFrom: number): string {
  return createHmac('sha256', key).update(`chronoscope-audit-keyed-from\n${keyedFrom}`).digest('hex');
}
