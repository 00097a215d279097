import { describe, expect, it } from 'vitest';
import { InMemorySubjectKeyStore, PersonalDataCodec } from '../../../src-main/reference/crypto/personal-data';
import { isSealedField, openField, sealField } from '../../../src-main/engine/personal-data/sealed-fields';
import type { DomainEvent } from '../../../src-main/reference/events';
import { newId } from '../../../src-main/reference/ids';

const address = { street: '1 Main St', city: 'Lyon', postalCode: '69001', country: 'FR' };

function registered(customerId: string): DomainEvent {
  return {
    eventId: newId(),
    type: 'CustomerRegistered',
    aggregateId: customerId,
    aggregateType: 'Customer',
    version: 1,
    timestamp: new Date().toISOString(),
    data: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.org', address, vip: true },
    metadata: { correlationId: 'c', causationId: 'c', userId: 'u', schemaVersion: 2 },
  };
}

describe('personal data encryption', () => {
  it('round-trips every personal field and leaves the rest in clear', async () => {
    const keys = new InMemorySubjectKeyStore(newId);
    const codec = new PersonalDataCodec(keys);
    const event = registered('cust-1');
    const sealed = await codec.seal(event);
    expect(JSON.stringify(sealed.data)).not.toMatch(/Ada|Lovelace|ada@example|Lyon/);
    expect(isSealedField(sealed.data.email)).toBe(true);
    expect(sealed.data.vip).toBe(true);
    expect(sealed.metadata.subjectKeyId).toBe((await keys.keyForSubject('cust-1')).keyId);
    expect((await codec.open(sealed)).data).toEqual(event.data);
  });

  it('uses a fresh IV per field, so equal values give different ciphertexts', async () => {
    const codec = new PersonalDataCodec(new InMemorySubjectKeyStore(newId));
    const a = await codec.seal(registered('cust-1'));
    const b = await codec.seal(registered('cust-1'));
    expect(a.data.email).not.toEqual(b.data.email);
  });

  it('makes the data unreadable once the key is shredded, while the event still opens', async () => {
    const keys = new InMemorySubjectKeyStore(newId);
    const codec = new PersonalDataCodec(keys);
    const sealed = await codec.seal(registered('cust-2'));
    keys.shred('cust-2');
    expect((await codec.open(sealed)).data).toEqual({ firstName: null, lastName: null, email: null, address: null, vip: true });
  });

  it('refuses a ciphertext moved to another subject or field (authenticated data)', async () => {
    const keys = new InMemorySubjectKeyStore(newId);
    const key = await keys.keyForSubject('cust-3');
    const sealed = sealField('secret@example.org', key, 'email');
    expect(openField(sealed, key, 'email')).toBe('secret@example.org');
    expect(() => openField(sealed, key, 'firstName')).toThrow();
    expect(() => openField(sealed, { ...key, subjectId: 'cust-4' }, 'email')).toThrow();
    expect(() => openField({ ...sealed, ct: Buffer.from('tampered').toString('base64') }, key, 'email')).toThrow();
  });
});
