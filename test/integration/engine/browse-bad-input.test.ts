import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { createTestEngine, engineCaller, postgresConnection } from '../engine-support';
import { createTestDatabase, type TestDatabase } from '../reference/support';

/** Stores nobody designed for a console: binary stream ids, a 10 MB event, a payload that is not JSON. */
describe('browsing awkward stores', () => {
  const TEN_MB = 10 * 1024 * 1024;
  let db: TestDatabase;
  let engine: Engine;
  let connectionId: string;
  const call = engineCaller(() => engine);

  beforeAll(async () => {
    db = await createTestDatabase('awkward');
    await db.pool.query(
      `CREATE TABLE ledger (stream bytea NOT NULL, seq int NOT NULL, kind text NOT NULL, body jsonb NOT NULL, note text, gpos bigserial, at timestamptz NOT NULL DEFAULT now(), UNIQUE (stream, seq))`,
    );
    await db.pool.query(
      `INSERT INTO ledger (stream, seq, kind, body, note) VALUES ('\\xdeadbeef', 1, 'Opened', '{"n":1}', 'plain text, not JSON'), ('\\xdeadbeef', 2, 'Huge', $1, NULL), ('\\x00ff', 1, 'Opened', '{"n":2}', NULL)`,
      [
        JSON.stringify({ blob: randomBytes(TEN_MB / 2).toString('hex') }), // random: compression cannot hide its size
      ],
    );
    engine = await createTestEngine('awkward');
    connectionId = (await call('connections.add', postgresConnection('Awkward', db.url))).id;
    await call('stores.configure', {
      connectionId,
      preset: 'custom',
      custom: {
        table: 'ledger',
        columns: { streamId: 'stream', version: 'seq', type: 'kind', data: 'body', metadata: 'note', position: 'gpos', timestamp: 'at' },
      },
      reason: 'test',
    });
  });

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('lists and reads binary stream ids as their hex text', async () => {
    const { streams } = await call('streams.list', { connectionId });
    expect(streams.map((s) => s.streamId)).toEqual(['\\x00ff', '\\xdeadbeef']);
    const read = await call('streams.read', { connectionId, streamId: '\\xdeadbeef' });
    expect(read.events.map((e) => e.type)).toEqual(['Opened', 'Huge']);
    expect((await call('streams.read', { connectionId, streamId: 'not a hex id' })).events).toEqual([]);
  });

  it('shows a payload that is not JSON as text', async () => {
    const [opened] = (await call('streams.read', { connectionId, streamId: '\\xdeadbeef', limit: 1 })).events;
    expect(opened!.metadata).toEqual({ text: 'plain text, not JSON' });
  });

  it('leaves a 10 MB payload out of browse reads, saying how large it is', async () => {
    const feed = await call('feed.read', { connectionId });
    const huge = feed.events.find((e) => e.type === 'Huge')!;
    expect(huge.data).toBeNull();
    expect(huge.omitted?.data).toBeGreaterThan(TEN_MB);
    expect(feed.events.find((e) => e.type === 'Opened')!.omitted).toBeUndefined();
    expect(JSON.stringify(feed).length).toBeLessThan(100_000);
  });

  it('exports the 10 MB payload in full', async () => {
    const exported = await call('events.export', { connectionId, source: { kind: 'stream', streamId: '\\xdeadbeef' }, format: 'ndjson' });
    const lines = (await readFile(exported.path, 'utf8')).trimEnd().split('\n');
    const huge = JSON.parse(lines[1]!) as { data: { blob: string }; omitted?: unknown };
    expect(huge.data.blob).toHaveLength(TEN_MB);
    expect(huge.omitted).toBeUndefined();
  });
});
