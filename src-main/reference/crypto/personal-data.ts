import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DomainEvent } from '../events';

/**
 * Personal data is encrypted field by field with a key per data subject
 * (AES-256-GCM). The key lives in `subject_keys`, never in the event: deleting
 * the key row crypto-shreds every copy of the data at once — in the event
 * store, in Kafka, in backups — while the events themselves stay immutable.
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

/** Personal fields of each event type; everything else in `data` stays in clear. */
export const PERSONAL_FIELDS: Readonly<Record<string, readonly string[]>> = {
  CustomerRegistered: ['name', 'firstName', 'lastName', 'email', 'address'],
  CustomerEmailChanged: ['email'],
  CustomerAddressChanged: ['address'],
};

export function hasPersonalData(eventType: string): boolean {
  return eventType in PERSONAL_FIELDS;
}

export function isSealedField(value: unknown): value is SealedField {
  return typeof value === 'object' && value !== null && (value as { enc?: unknown }).enc === 'aes-256-gcm' && typeof (value as { ct?: unknown }).ct === 'string';
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

/** Encrypts the personal fields of an event with its subject's key, and records the key id in the metadata. */
export function sealEventWithKey<E extends DomainEvent>(event: E, key: SubjectKey, ivSource?: () => Buffer): E {
  const fields = PERSONAL_FIELDS[event.type];
  if (!fields) return event;
  const data: Record<string, unknown> = { ...event.data };
  for (const field of fields) {
    if (field in data && data[field] !== null && data[field] !== undefined) data[field] = sealField(data[field], key, field, ivSource?.());
  }
  return { ...event, data, metadata: { ...event.metadata, subjectKeyId: key.keyId } };
}

/**
 * Encrypts/decrypts the personal fields of events at the store boundary. The
 * subject of an event is its aggregate (the customer).
 */
export class PersonalDataCodec {
  constructor(private readonly keys: SubjectKeyStore) {}

  async seal<E extends DomainEvent>(event: E): Promise<E> {
    if (!hasPersonalData(event.type)) return event;
    return sealEventWithKey(event, await this.keys.keyForSubject(event.aggregateId));
  }

  /**
   * Decrypts sealed fields. A field whose key was deleted reads as null: the
   * data is gone for good, yet the event still replays (the customer becomes anonymous).
   */
  async open<E extends DomainEvent>(event: E): Promise<E> {
    if (!hasPersonalData(event.type)) return event;
    const keyId = event.metadata.subjectKeyId;
    const key = keyId ? await this.keys.keyById(keyId) : null;
    const data: Record<string, unknown> = { ...event.data };
    for (const [field, value] of Object.entries(data)) {
      if (isSealedField(value)) data[field] = key && key.keyId === value.kid ? openField(value, key, field) : null;
    }
    return { ...event, data };
  }
}

/** Keys held in memory: for unit tests and the generator's own bookkeeping. */
export class InMemorySubjectKeyStore implements SubjectKeyStore {
  private readonly bySubject = new Map<string, SubjectKey>();
  private readonly byId = new Map<string, SubjectKey>();

  constructor(private readonly newKeyId: () => string) {}

  async keyForSubject(subjectId: string): Promise<SubjectKey> {
    let key = this.bySubject.get(subjectId);
    if (!key) {
      key = { keyId: this.newKeyId(), subjectId, key: generateSubjectKey() };
      this.bySubject.set(subjectId, key);
      this.byId.set(key.keyId, key);
    }
    return key;
  }

  async keyById(keyId: string): Promise<SubjectKey | null> {
    return this.byId.get(keyId) ?? null;
  }

  /** Crypto-shreds the subject: its data becomes unreadable everywhere. */
  shred(subjectId: string): void {
    const key = this.bySubject.get(subjectId);
    if (!key) return;
    this.bySubject.delete(subjectId);
    this.byId.delete(key.keyId);
  }
}
