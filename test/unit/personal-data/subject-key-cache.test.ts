import { describe, expect, it } from 'vitest';
import { SubjectKeyCache } from '../../../src-main/engine/personal-data/subject-key-cache';
import type { SubjectKey } from '../../../src-main/engine/personal-data/sealed-fields';

const keyOf = (keyId: string): SubjectKey => ({ keyId, subjectId: `subject-${keyId}`, key: Buffer.alloc(32) });

function counting() {
  const loads: string[] = [];
  return { loads, load: async (keyId: string) => (loads.push(keyId), keyOf(keyId)) };
}

describe('the subject key cache of decrypted views', () => {
  it('loads a key once within its time to live, and again after it', async () => {
    let now = 0;
    const cache = new SubjectKeyCache(1000, 10, () => now);
    const { loads, load } = counting();
    await cache.get('c', 'k1', load);
    await cache.get('c', 'k1', load);
    expect(loads).toEqual(['k1']);
    now = 1000;
    await cache.get('c', 'k1', load);
    expect(loads).toEqual(['k1', 'k1']);
  });

  it('stays bounded, evicting the least recently used key', async () => {
    const cache = new SubjectKeyCache(60_000, 2);
    const { loads, load } = counting();
    await cache.get('c', 'a', load);
    await cache.get('c', 'b', load);
    await cache.get('c', 'a', load); // a is now the most recent
    await cache.get('c', 'c', load); // evicts b
    expect(cache.size).toBe(2);
    await cache.get('c', 'a', load);
    await cache.get('c', 'b', load);
    expect(loads).toEqual(['a', 'b', 'c', 'b']);
  });

  it('drops a shredded subject under every profile, keeping the others', async () => {
    const cache = new SubjectKeyCache();
    const { loads, load } = counting();
    await cache.get('profile-1', 'x', load);
    await cache.get('profile-2', 'x', load);
    await cache.get('profile-1', 'y', load);
    cache.forgetSubjects(['subject-x']);
    await cache.get('profile-1', 'x', load);
    await cache.get('profile-2', 'x', load);
    await cache.get('profile-1', 'y', load);
    expect(loads).toEqual(['x', 'x', 'y', 'x', 'x']);
  });

  it('does not keep a failed lookup', async () => {
    const cache = new SubjectKeyCache();
    await expect(cache.get('c', 'k', async () => Promise.reject(new Error('connection lost')))).rejects.toThrow('connection lost');
    await Promise.resolve();
    expect(cache.size).toBe(0);
  });
});
