import { describe, expect, it } from 'vitest';
import { customMapping } from '../../../src-shared/schemas/browse';
import { StoreInputError } from '../../../src-main/stores/event-store';
import { mongoCustomMapping } from '../../../src-main/stores/mongo/custom-mapping';

const COLUMNS = { streamId: 'entity', version: 'rev', type: 'kind', data: 'body' };

function refusal(custom: Parameters<typeof mongoCustomMapping>[0]): StoreInputError {
  try {
    mongoCustomMapping(custom);
  } catch (err) {
    expect(err).toBeInstanceOf(StoreInputError);
    return err as StoreInputError;
  }
  throw new Error('expected the mapping to be refused');
}

describe('MongoDB custom mapping field names', () => {
  it('accepts plain and dotted (nested) field paths', () => {
    const mapping = mongoCustomMapping({
      table: 'ledger',
      columns: { ...COLUMNS, streamId: 'meta.streamId', timestamp: 'meta.at' },
      metadataKeys: { correlationId: 'trace.id' },
    });
    expect(mapping.fields).toMatchObject({ streamId: 'meta.streamId', timestamp: 'meta.at', eventId: '_id' });
  });

  it('refuses a field starting with "$", naming the role and the field', () => {
    expect(refusal({ table: 'ledger', columns: { ...COLUMNS, streamId: '$where' } }).message).toBe(
      'columns.streamId "$where": a MongoDB field name cannot start with "$" (MongoDB reads it as an operator); map a field the documents store.',
    );
    // In any segment of a path, and in a metadata key (it becomes a segment of the metadata path).
    expect(refusal({ table: 'ledger', columns: { ...COLUMNS, data: 'body.$gt' } }).message).toContain(
      'columns.data "body.$gt": a MongoDB field name cannot start with "$"',
    );
    expect(refusal({ table: 'ledger', columns: { ...COLUMNS, metadata: 'meta' }, metadataKeys: { causationId: '$causationId' } }).message).toContain(
      'metadataKeys.causationId "$causationId"',
    );
  });

  it('refuses NUL characters and empty path segments', () => {
    expect(refusal({ table: 'ledger', columns: { ...COLUMNS, type: 'ki\u0000nd' } }).message).toContain(
      'columns.type "ki\\u0000nd": a MongoDB field name cannot hold a NUL character',
    );
    expect(refusal({ table: 'ledger', columns: { ...COLUMNS, version: 'meta..rev' } }).message).toContain(
      'columns.version "meta..rev": a field path cannot have an empty segment',
    );
    expect(refusal({ table: 'ledger', columns: { ...COLUMNS, version: '.rev' } }).message).toContain('empty segment');
  });

  it('names every bad field at once, and a bad collection name', () => {
    const err = refusal({ table: 'led$ger', columns: { ...COLUMNS, streamId: '$a', type: '$b' } });
    expect(err.message).toContain('table "led$ger": a MongoDB collection name cannot contain "$"');
    expect(err.message).toContain('columns.streamId "$a"');
    expect(err.message).toContain('columns.type "$b"');
  });

  it('the shared input schema refuses NUL in any name, for either backend', () => {
    const parsed = customMapping.safeParse({ table: 'ledger', columns: { ...COLUMNS, data: 'bo\u0000dy' }, metadataKeys: { correlationId: 'c\u0000' } });
    expect(parsed.success).toBe(false);
    const fields = parsed.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(fields).toEqual(['columns.data: must not contain a NUL character', 'metadataKeys.correlationId: must not contain a NUL character']);
  });
});
