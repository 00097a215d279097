import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../../src-renderer/src/ui/format';
import { filterFromQuery, filterInput, filterToQuery, NO_FILTER } from '../../../src-renderer/src/features/snapshots/snapshot-filter';

describe('the Snapshots screen filter', () => {
  it('turns what was typed into the operation filter, naming what it cannot read', () => {
    expect(filterInput({ ...NO_FILTER, streamType: ' Account ', versionBelow: '100', takenBefore: '2026-01-31', minSize: '10' })).toEqual({
      filter: { streamType: 'Account', versionBelow: 100, takenBefore: '2026-01-31T00:00:00.000Z', minSizeBytes: 10 },
      problems: [],
    });
    const bad = filterInput({ ...NO_FILTER, versionBelow: '1.5', takenBefore: 'yesterday', maxSize: '-3' });
    expect(bad.filter).toEqual({});
    expect(bad.problems).toEqual([expect.stringMatching(/^Taken before/), expect.stringMatching(/^Version below/), expect.stringMatching(/^Max size/)]);
  });

  it('round-trips through the address, blank fields left out', () => {
    const text = { ...NO_FILTER, streamPrefix: 'account-', maxSize: '2048' };
    const query = filterToQuery(text);
    expect(query).toMatchObject({ streamPrefix: 'account-', maxSize: '2048', streamType: undefined });
    expect(filterFromQuery(query as Record<string, string>)).toEqual(text);
  });

  it('formats sizes', () => {
    expect([formatBytes(88), formatBytes(2048), formatBytes(3 * 1048576)]).toEqual(['88 B', '2.0 KiB', '3.0 MiB']);
  });
});
