/**
 * Custom checkpoint and snapshot mappings of MongoDB collections: a field or collection
 * name MongoDB would read as an operator (`$function`, `$where`), or one holding NUL or an
 * empty path segment, is refused by checkpoints.configure and snapshots.configure and
 * never kept, by the same rule the event mappings use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src-main/engine/engine';
import { createTestEngine, engineCaller, type Call } from '../integration/engine-support';
import { testServices } from '../integration/env';
import { createTestMongo, type TestMongo } from '../integration/reference/support';

const BAD_FIELDS = [
  ['$function', /cannot start with "\$"/],
  ['state.$where', /cannot start with "\$"/],
  ['at\u0000x', /NUL/],
  ['at..x', /empty segment/],
  ['.at', /empty segment/],
] as const;

describe('MongoDB names in custom checkpoint and snapshot mappings', () => {
  let mongo: TestMongo;
  let engine: Engine;
  let call: Call;
  let connectionId: string;

  beforeAll(async () => {
    mongo = await createTestMongo('sec_names');
    await mongo.db.collection('consumer_offsets').insertOne({ consumer: 'mailer', at: 6 });
    await mongo.db.collection('snaps').insertOne({ stream: 'account-1', rev: 3, body: { balance: 1 } });
    engine = await createTestEngine('sec-names');
    call = engineCaller(() => engine);
    connectionId = (
      await call('connections.add', { name: 'Names', settings: { kind: 'mongo', uri: testServices.mongoUrl, database: mongo.name }, readOnly: false })
    ).id;
  });
  afterAll(async () => {
    await engine?.dispose();
    await mongo?.drop();
  });

  it.each(BAD_FIELDS)('checkpoints.configure refuses the field %j and keeps nothing', async (field, problem) => {
    const mapping = { backend: 'mongo' as const, collection: 'consumer_offsets', fields: { name: 'consumer', position: field } };
    await expect(call('checkpoints.configure', { connectionId, mapping })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(problem),
    });
    expect(await call('checkpoints.mapping', { connectionId })).toEqual({ mapping: null });
  });

  it('checkpoints.configure refuses a collection name with "$" by name, before asking the server', async () => {
    const mapping = { backend: 'mongo' as const, collection: 'offsets$x', fields: { name: 'consumer', position: 'at' } };
    await expect(call('checkpoints.configure', { connectionId, mapping })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/collection "offsets\$x": a MongoDB collection name cannot contain "\$"/),
    });
    expect(await call('checkpoints.mapping', { connectionId })).toEqual({ mapping: null });
  });

  it.each(BAD_FIELDS)('snapshots.configure refuses the field %j and keeps nothing', async (field, problem) => {
    const mapping = { backend: 'mongo' as const, collection: 'snaps', fields: { streamId: 'stream', version: 'rev', state: 'body', takenAt: field } };
    await expect(call('snapshots.configure', { connectionId, mapping })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(problem),
    });
    expect(await call('snapshots.mapping', { connectionId })).toEqual({ mapping: null });
  });

  it('a well-named mapping is still kept (the refusals above are about the names)', async () => {
    const mapping = { backend: 'mongo' as const, collection: 'consumer_offsets', fields: { name: 'consumer', position: 'at' } };
    expect(await call('checkpoints.configure', { connectionId, mapping })).toMatchObject({ checkpoints: 1 });
    expect(await call('checkpoints.mapping', { connectionId })).toEqual({ mapping });
    await call('checkpoints.configure', { connectionId, mapping: null });
  });
});
