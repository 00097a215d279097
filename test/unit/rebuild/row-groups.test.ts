import { describe, expect, it } from 'vitest';
import { encodeRowGroups } from '../../../src-main/engine/rebuild/row-groups';

describe('encoding a batch of row changes for the shadow', () => {
  const shape = { keyColumn: 'account_id', columns: ['account_id', 'balance', 'owner', 'version'] };

  it('groups rows by the columns they carry, fills the key from the change, lists deletes', () => {
    const changes = new Map<string, Record<string, unknown> | null>([
      ['a1', { balance: 5, owner: 'x', version: 2 }],
      ['a2', null],
      ['a3', { account_id: 'a3', balance: 7, version: 1 }],
      ['a4', { balance: 1, owner: 'y', version: 4, unknown: true }],
    ]);
    const encoded = encodeRowGroups(shape, changes);
    expect(encoded.deleted).toEqual(['a2']);
    expect(encoded.upserts.map((g) => ({ columns: g.columns, rows: JSON.parse(g.json) as unknown, count: g.count }))).toEqual([
      {
        columns: ['account_id', 'balance', 'owner', 'version'],
        rows: [
          { balance: 5, owner: 'x', version: 2, account_id: 'a1' },
          { balance: 1, owner: 'y', version: 4, unknown: true, account_id: 'a4' },
        ],
        count: 2,
      },
      { columns: ['account_id', 'balance', 'version'], rows: [{ account_id: 'a3', balance: 7, version: 1 }], count: 1 },
    ]);
  });

  it('leaves a column whose value is undefined to its default', () => {
    const encoded = encodeRowGroups(shape, new Map([['a1', { balance: 5, owner: undefined }]]));
    expect(encoded.upserts[0]!.columns).toEqual(['account_id', 'balance']);
  });
});
