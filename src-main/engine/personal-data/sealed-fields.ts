import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The sealed-field format Chronoscope reads and writes: personal data encrypted
 * field by field with a key per data subject (AES-256-GCM). The key lives in a key
 * store, never in the event: deleting the key crypto-shreds every copy of the data
 * at once (event store, Kafka, backups) while the events themselves stay immutable.
 * The reference system writes this format; the engine owns it.
 */

export interface SubjectKey {
  keyId: string;
  subjectId: string;
  /** 32 bytes. */
  key: Buffer;
}

/** Where subject keys live (Postgres `subject_keys` in the running system; a Map in unit tests). */
export interface SubjectKeyStore {
  /** The subject's key, created on first use. */
  keyForSubject(subjectId: string): Promise<SubjectKey>;
  /** The key with this id, or null when it was deleted (shredded). */
  keyById(keyId: string): Promise<SubjectKey | null>;
}

/**
 * A field value as stored: ciphertext plus what is needed to open it, all base64.
 * (The marker key has no `$` prefix: MongoDB/FerretDB reject field names starting with `$`.)
 */
export interface SealedField {
  enc: 'aes-256-gcm';
  kid: string;
  iv: string;
  tag: string;
  ct: string;
}

export function isSealedField(value: unknown): value is SealedField {
  return (
    typeof value === 'object' && value !== null && (value as { enc?: unknown }).enc === 'aes-256-gcm' && typeof (value as { ct?: unknown }).ct === 'string'
  );
}

export function generateSubjectKey(): Buffer {
  return randomBytes(32);
}

/** Binds a ciphertext to its subject and field, so it cannot be pasted into another customer or field. */
function associatedData(subjectId: string, field: string): Buffer {
  return Buffer.from(`chronoscope/personal-data/v1/${subjectId}/${field}`);
}

export function sealField(value: unknown, key: SubjectKey, field: string, iv: Buffer = randomBytes(12)): SealedField {
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(associatedData(key.subjectId, field));
  const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return { enc: 'aes-256-gcm', kid: key.keyId, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ct: ct.toString('base64') };
}

/** Throws if the ciphertext was tampered with or the key does not match. */
export function openField(sealed: SealedField, key: SubjectKey, field: string): unknown {
  const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(associatedData(key.subjectId, field));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  const plain = Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]);
  return JSON.parse(plain.toString('utf8'));
}
