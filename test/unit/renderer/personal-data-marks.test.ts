import { describe, expect, it } from 'vitest';
import { personalDataMarkOf } from '../../../src-renderer/src/ui/PersonalData';

describe('personal-data marks on payload trees', () => {
  const marks = {
    fields: [
      { path: ['data', 'email'], state: 'decrypted' as const },
      { path: ['data', 'address'], state: 'shredded' as const },
      { path: ['metadata', 'contact', 0], state: 'encrypted' as const },
    ],
    note: 'encrypted personal data (this profile may not decrypt)',
  };

  it('marks the fields of its own root only, by path below it', () => {
    const data = personalDataMarkOf(marks, 'data')!;
    expect(data(['email'])?.kind).toBe('personal-decrypted');
    expect(data(['address'])?.kind).toBe('personal-shredded');
    expect(data(['name'])).toBeUndefined();
    expect(data([])).toBeUndefined();
    expect(personalDataMarkOf(marks, 'metadata')!(['contact', 0])?.kind).toBe('personal-encrypted');
  });

  it('adds nothing to payloads without sealed fields', () => {
    expect(personalDataMarkOf(undefined, 'data')).toBeUndefined();
    expect(personalDataMarkOf({ fields: [{ path: ['data', 'email'], state: 'decrypted' }] }, 'metadata')).toBeUndefined();
  });
});
