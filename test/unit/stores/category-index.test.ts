import { describe, expect, it } from 'vitest';
import { indexesCategoryOf } from '../../../src-main/stores/postgres/postgres-position-ranges';

describe("recognising Message DB's category index", () => {
  it('reads the definition PostgreSQL prints for it, cast included, and no other index', () => {
    const installed =
      "CREATE INDEX messages_category ON message_store.messages USING btree (message_store.category((stream_name)::character varying), global_position, message_store.category(((metadata ->> 'correlationStreamName'::text))::character varying))";
    expect(indexesCategoryOf(installed, 'message_store', 'stream_name')).toBe(true);
    expect(
      indexesCategoryOf('CREATE INDEX c ON "my store".messages USING btree ("my store".category(stream_name), global_position)', 'my store', 'stream_name'),
    ).toBe(true);
    expect(indexesCategoryOf(installed, 'other_schema', 'stream_name')).toBe(false);
    expect(
      indexesCategoryOf('CREATE UNIQUE INDEX messages_stream ON message_store.messages USING btree (stream_name, "position")', 'message_store', 'stream_name'),
    ).toBe(false);
  });
});
