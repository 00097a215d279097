import type { DomainEvent } from '../events';
import { generateSubjectKey, isSealedField, openField, sealField, type SubjectKey, type SubjectKeyStore } from '../../engine/personal-data/sealed-fields';

/**
 * Which fields of the reference system's events are personal, and the codec that
 * seals them at its store boundary in the engine's sealed-field format.
 */

/** Personal fields of each event type; everything else in `data` stays in clear. */
export const PERSONAL_FIELDS: Readonly<Record<string, readonly string[]>> = {
  CustomerRegistered: ['name', 'firstName', 'lastName', 'email', 'address'],
  CustomerEmailChanged: ['email'],
  CustomerAddressChanged: ['address'],
};

export function hasPersonalData(eventType: string): boolean {
  return eventType in PERSONAL_FIELDS;
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
