import { describe, expect, it } from 'vitest';
import { ReplayCache } from '../../../src-main/engine/time-travel/replay-cache';
import { SnapshotVerdicts } from '../../../src-main/engine/time-travel/snapshot-verdicts';

const snapshot = { streamId: 'acc-1', version: 100, state: { balanceCents: 500, status: 'open' } };

describe('snapshot verdicts', () => {
  it('remember a verdict per connection, stream and version, for the same state whatever its key order', () => {
    const verdicts = new SnapshotVerdicts();
    verdicts.record('c', snapshot, 'account', false, 'verifySnapshot');
    expect(verdicts.lookup('c', { ...snapshot, state: { status: 'open', balanceCents: 500 } }, 'account')).toMatchObject({
      ok: false,
      source: 'verifySnapshot',
    });
    expect(verdicts.lookup('other', snapshot, 'account')).toBeUndefined();
    expect(verdicts.lookup('c', { ...snapshot, version: 110 }, 'account')).toBeUndefined();
  });

  it('do not hold for a snapshot rewritten since (regenerated) nor for another definition', () => {
    const verdicts = new SnapshotVerdicts();
    verdicts.record('c', snapshot, 'account', false, 'verifyAll');
    expect(verdicts.lookup('c', { ...snapshot, state: { balanceCents: 400, status: 'open' } }, 'account')).toBeUndefined();
    expect(verdicts.lookup('c', snapshot, 'user:accounts-v2')).toBeUndefined();
    verdicts.record('c', snapshot, 'account', true, 'inspect');
    expect(verdicts.lookup('c', snapshot, 'account')).toMatchObject({ ok: true, source: 'inspect' });
  });

  it('tell listeners of a mismatch, so the replay cache drops the stream', () => {
    const cache = new ReplayCache();
    const verdicts = new SnapshotVerdicts();
    verdicts.onMismatch((connectionId, streamId) => cache.forgetStream(connectionId, streamId));
    const definition = { name: 'account', source: 'definition = {}' };
    const waypoint = { version: 10_000, state: '{}', type: 'T', timestamp: null };
    cache.record(cache.key('c', 'acc-1', definition), waypoint);
    cache.record(cache.key('c', 'acc-10', definition), waypoint);
    verdicts.record('c', snapshot, 'account', true, 'quickCheck');
    expect(cache.size.streams).toBe(2);
    verdicts.record('c', snapshot, 'account', false, 'quickCheck');
    expect(cache.best(cache.key('c', 'acc-1', definition), undefined)).toBeUndefined();
    expect(cache.best(cache.key('c', 'acc-10', definition), undefined)?.version).toBe(10_000);
  });
});
