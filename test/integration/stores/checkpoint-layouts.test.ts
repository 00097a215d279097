/** What some checkpoint layouts do beyond the contract. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_SUPPORT_DDL } from '../../../src-main/reference/postgres/schema';
import { readPostgresCheckpoint } from '../../../src-main/reference/projectors/checkpoints';
import { presetRecord } from '../../../src-main/stores/presets';
import { CompanionLayoutError } from '../../../src-main/stores/ports/errors';
import { openCheckpoints, type CompanionSource } from '../../../src-main/stores/ports/open-companions';
import { createTestDatabase, type TestDatabase } from '../reference/support';
import { CHECKPOINT_FIXTURES, axonJsonToken } from './checkpoint-fixtures';
import { FIXTURES } from './fixtures';

describe('checkpoint layouts beyond the contract (PostgreSQL)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('checkpoint_layouts');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('creates a reference checkpoint the projector has not written yet, once', async () => {
    await db.pool.query(REFERENCE_SUPPORT_DDL);
    const store = await openCheckpoints(presetRecord('classic')!, db.pool);
    const key = { store: 'projection_checkpoints', projector: 'orders', source: 'kafka:domain_events:2' };
    expect(await store.setPosition(key, null, '40')).toMatchObject({ outcome: 'applied', checkpoint: { position: '40' } });
    // The reference projector reads it back as it reads its own.
    expect(await readPostgresCheckpoint(db.pool, 'orders', 'kafka:domain_events:2')).toBe('40');
    // A second "create" finds it there: it moved.
    expect(await store.setPosition(key, null, '1')).toMatchObject({ outcome: 'moved', checkpoint: { position: '40' } });
  });

  it("keeps Emmett's positions zero-padded and never creates a processor's row", async () => {
    await CHECKPOINT_FIXTURES.find((f) => f.preset === 'emmett')!.setup({ kind: 'postgres', pool: db.pool, url: db.url });
    const store = await openCheckpoints(presetRecord('emmett')!, db.pool);
    const key = { store: 'emt_processors', projector: 'orders', source: 'emt:default' };
    expect(await store.setPosition(key, '7', '12')).toMatchObject({ outcome: 'applied' });
    const { rows } = await db.pool.query(`SELECT version, last_processed_checkpoint FROM emt_processors WHERE processor_id = 'orders' ORDER BY version`);
    expect(rows).toEqual([
      { version: 1, last_processed_checkpoint: '0000000000000000005' },
      { version: 2, last_processed_checkpoint: '0000000000000000012' },
    ]);
    await expect(store.setPosition({ ...key, projector: 'new-one' }, null, '1')).rejects.toThrow(/its processor creates it on first run/);
  });

  it("refuses to reset Marten's high-water mark, which is the daemon's, not a projector's", async () => {
    await db.pool.query(
      `CREATE SCHEMA marten; CREATE TABLE marten.mt_event_progression (name varchar NOT NULL PRIMARY KEY, last_seq_id bigint NULL, last_updated timestamptz NULL DEFAULT now())`,
    );
    await db.pool.query(`INSERT INTO marten.mt_event_progression (name, last_seq_id) VALUES ('HighWaterMark', 60)`);
    const store = await openCheckpoints(presetRecord('marten')!, db.pool, { schema: 'marten' });
    await expect(store.setPosition({ store: 'mt_event_progression', projector: 'HighWaterMark', source: '' }, '60', '0')).rejects.toThrow(CompanionLayoutError);
    expect((await store.list())[0]).toMatchObject({ role: 'mark', position: '60' });
  });

  it("reads Axon's JDBC naming (TokenEntry folded to lower case)", async () => {
    await db.pool.query(`
      CREATE SCHEMA axonjdbc;
      CREATE TABLE axonjdbc.TokenEntry (processorName varchar(255) NOT NULL, segment integer NOT NULL, token bytea, tokenType varchar(255), timestamp varchar(255), owner varchar(255), PRIMARY KEY (processorName, segment));
    `);
    await db.pool.query(
      `INSERT INTO axonjdbc.TokenEntry VALUES ('billing', 0, $1, 'org.axonframework.eventhandling.GapAwareTrackingToken', '2026-01-01T00:00:00Z', NULL)`,
      [axonJsonToken(5, [3])],
    );
    const store = await openCheckpoints(presetRecord('axon')!, db.pool, { schema: 'axonjdbc' });
    const key = { store: 'tokenentry', projector: 'billing', source: '0' };
    expect(await store.list()).toEqual([
      expect.objectContaining({ ...key, position: '5', extras: expect.objectContaining({ gaps: ['3'], serialization: 'json' }) }),
    ]);
    expect(await store.setPosition(key, '5', '2')).toMatchObject({
      outcome: 'applied',
      checkpoint: { position: '2', extras: { gaps: [], serialization: 'json' } },
    });
  });

  it("refuses to reset an Axon segment a running node claims, as Axon's resetTokens does; holds it, and resets it once the claim lapsed, releasing it", async () => {
    await db.pool.query(
      `CREATE SCHEMA axonclaim; CREATE TABLE axonclaim.token_entry (processor_name varchar(255) NOT NULL, segment integer NOT NULL, token bytea, token_type varchar(255), timestamp varchar(255), owner varchar(255), PRIMARY KEY (processor_name, segment))`,
    );
    await db.pool.query(
      `INSERT INTO axonclaim.token_entry VALUES ('orders', 0, $1, 'org.axonframework.eventhandling.GapAwareTrackingToken', $2, 'node-2@host')`,
      [axonJsonToken(9, []), new Date().toISOString()],
    );
    const store = await openCheckpoints(presetRecord('axon')!, db.pool, { schema: 'axonclaim' });
    const key = { store: 'token_entry', projector: 'orders', source: '0' };
    await expect(store.setPosition(key, '9', '0')).rejects.toThrow(/Segment 0 of orders is claimed by node-2@host .*only while the processor is shut down/);
    // The swap only holds the position: the running node's token is left as it is.
    expect(await store.setPosition(key, '9', '9')).toMatchObject({ outcome: 'applied', checkpoint: { position: '9', extras: { owner: 'node-2@host' } } });
    await db.pool.query(`UPDATE axonclaim.token_entry SET timestamp = $1`, [new Date(Date.now() - 60_000).toISOString()]);
    expect(await store.setPosition(key, '9', '0')).toMatchObject({ outcome: 'applied', checkpoint: { position: '0', extras: { owner: null } } });
  });

  it('reads a custom checkpoint mapping, validated against the live table', async () => {
    await db.pool.query(`CREATE SCHEMA custom; CREATE TABLE custom.positions (worker text PRIMARY KEY, pos numeric(20), seen_at timestamptz, note text)`);
    await db.pool.query(`INSERT INTO custom.positions VALUES ('w1', 18446744073709551, now(), 'x')`);
    const source = (position: string): CompanionSource => ({
      label: 'My projector table',
      backend: 'postgres',
      companions: {
        checkpoints: [
          {
            format: 'table',
            kind: 'custom',
            backend: 'postgres',
            schema: 'custom',
            table: 'positions',
            columns: { name: 'worker', position, updatedAt: 'seen_at' },
          },
        ],
      },
    });
    const store = await openCheckpoints(source('pos'), db.pool);
    expect(await store.list()).toEqual([expect.objectContaining({ kind: 'custom', projector: 'w1', source: '', position: '18446744073709551' })]);
    await expect(openCheckpoints(source('note'), db.pool)).rejects.toThrow('"custom"."positions".note (position) is text, not an integer type');
    await expect(openCheckpoints(source('nope'), db.pool)).rejects.toThrow('"custom"."positions".nope (position) does not exist');
  });

  it("lists Message DB position streams without Message DB's functions (by a scan), and refuses to write them", async () => {
    await db.pool.query(FIXTURES.find((f) => f.preset === 'message-db')!.ddl);
    await db.pool.query(
      `INSERT INTO message_store.messages (position, stream_name, type, data) VALUES
         (0, 'account-1', 'Opened', '{}'), (0, 'account:position-w', 'Recorded', '{"position": 4}'), (1, 'account:position-w', 'Recorded', '{"position": 9}')`,
    );
    const store = await openCheckpoints(presetRecord('message-db')!, db.pool);
    const key = { store: 'messages', projector: 'account:position-w', source: 'account' };
    expect(await store.list()).toEqual([expect.objectContaining({ ...key, position: '9' })]);
    await expect(store.setPosition(key, '9', '0')).rejects.toThrow(
      /write_message and .*acquire_lock do not exist: Message DB positions are written through write_message/,
    );
    expect((await store.read(key))?.position).toBe('9');
  });
});
