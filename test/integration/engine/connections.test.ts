import { createServer, type Server } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputOf, OperationName, ResultOf } from '../../../src-shared/operations';
import { createKafka } from '../../../src-main/engine/connections/drivers';
import { createEngine, type Engine } from '../../../src-main/engine/engine';
import { testServices } from '../env';
import { failOnOutputMismatch } from '../engine-support';

const pgUrl = () => new URL(testServices.postgresUrl);
const postgresSettings = (overrides: Record<string, unknown> = {}) => ({
  kind: 'postgres' as const,
  host: pgUrl().hostname,
  port: Number(pgUrl().port),
  database: pgUrl().pathname.slice(1),
  user: decodeURIComponent(pgUrl().username),
  connectTimeoutMs: 2000,
  ...overrides,
});
const pgPassword = () => decodeURIComponent(pgUrl().password);

describe('connections through the engine, against real services', () => {
  let dataDir: string;
  let engine: Engine;
  let silentServer: Server;
  let silentPort: number;

  /** Calls an operation the way both hosts do: validated, guarded, audited. */
  const call = <N extends OperationName>(op: N, input: InputOf<N>) =>
    engine.dispatcher.run(op, input, { operationId: 't', signal: new AbortController().signal, emit: () => undefined, progress: () => undefined }) as Promise<
      ResultOf<N>
    >;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'chrono-conn-'));
    engine = createEngine({ dataDir, mode: 'browser', log: () => undefined, onOutputMismatch: failOnOutputMismatch, env: {} });
    // Accepts TCP and never answers: what a firewall black hole or a hung server looks like.
    silentServer = createServer(() => undefined);
    await new Promise<void>((resolve) => silentServer.listen(0, '127.0.0.1', resolve));
    silentPort = (silentServer.address() as { port: number }).port;
  });
  afterAll(async () => {
    await engine.dispose();
    silentServer.close();
  });

  describe('PostgreSQL', () => {
    it('reports server version and round-trip time', async () => {
      const result = await call('connections.test', { settings: postgresSettings(), secret: pgPassword() });
      expect(result.ok).toBe(true);
      expect(result.serverVersion).toMatch(/^PostgreSQL \d+/);
      expect(result.rttMs).toBeGreaterThan(0);
    });

    it('explains a wrong password', async () => {
      const result = await call('connections.test', { settings: postgresSettings(), secret: 'wrong-password' });
      expect(result).toMatchObject({ ok: false, error: { code: 'auth_failed', message: expect.stringContaining('rejected the user name or password') } });
    });

    it('explains a wrong host', async () => {
      const result = await call('connections.test', { settings: postgresSettings({ host: 'nonexistent.invalid' }), secret: pgPassword() });
      expect(result.error?.code).toBe('host_not_found');
    });

    it('explains a port nobody listens on', async () => {
      const result = await call('connections.test', { settings: postgresSettings({ port: 1 }), secret: pgPassword() });
      expect(result).toMatchObject({
        ok: false,
        error: { code: 'connection_refused', message: expect.stringContaining('is not reachable: nothing is listening there') },
      });
    });

    it('explains a TLS mismatch', async () => {
      const result = await call('connections.test', { settings: postgresSettings({ sslMode: 'require' }), secret: pgPassword() });
      expect(result).toMatchObject({ ok: false, error: { code: 'tls_error', message: expect.stringContaining('does not accept TLS') } });
    });

    it('times out on a server that never answers', async () => {
      const started = Date.now();
      const result = await call('connections.test', { settings: postgresSettings({ port: silentPort, connectTimeoutMs: 1000 }), secret: pgPassword() });
      expect(result.error?.code).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  });

  describe('profiles', () => {
    it('persists profiles, tests them by id, and never returns the secret', async () => {
      const view = await call('connections.add', { name: 'Test PG', settings: postgresSettings(), secret: pgPassword(), reason: 'integration' });
      expect(view).toMatchObject({ name: 'Test PG', readOnly: true, secretStorage: 'memory', needsSecret: false });
      const marked = await call('connections.add', { name: 'Marked secret', settings: postgresSettings(), secret: 'zz-unique-secret-41' });
      const listed = JSON.stringify(await call('connections.list', {}));
      expect(listed).not.toContain('zz-unique-secret-41');
      expect(listed).not.toMatch(/"(secret|password)"/);
      await call('connections.remove', { id: marked.id, dryRun: true });
      expect((await call('connections.test', { id: view.id })).ok).toBe(true);
      // Edited settings are tested with the stored password, before they are saved.
      expect((await call('connections.test', { id: view.id, settings: postgresSettings({ connectTimeoutMs: 3000 }) })).ok).toBe(true);
      expect((await call('connections.test', { id: view.id, settings: postgresSettings(), secret: 'typed-but-wrong' })).error?.code).toBe('auth_failed');

      // Browser mode writes no secret: after a restart the profile asks for it again.
      const restarted = createEngine({ dataDir, mode: 'browser', log: () => undefined, onOutputMismatch: failOnOutputMismatch, env: {} });
      const reloaded = (await restarted.connections.list()).find((p) => p.id === view.id);
      expect(reloaded).toMatchObject({ name: 'Test PG', secretStorage: 'none', needsSecret: true });
      await restarted.dispose();

      const records = (await call('audit.list', { operation: 'connections.add' })).records;
      expect(records.find((r) => r.reason === 'integration')).toMatchObject({
        outcome: 'ok',
        reason: 'integration',
        details: { input: { secret: '[redacted]' } },
      });
      expect((await call('audit.verify', {})).ok).toBe(true);
    });

    it('streams the status of every profile until cancelled', async () => {
      const controller = new AbortController();
      const rounds: { id: string; state: string }[][] = [];
      const running = engine.dispatcher.run(
        'connections.status',
        { intervalMs: 1000 },
        {
          operationId: 's',
          signal: controller.signal,
          emit: (data) => {
            rounds.push(data as never);
            if (rounds.length === 2) controller.abort();
          },
          progress: () => undefined,
        },
      );
      await expect(running).resolves.toEqual({ rounds: 2 });
      const states = Object.fromEntries(rounds[1]!.map((s) => [s.id, s.state]));
      expect(states.local).toBe('connected');
    });
  });

  describe('Local workspace (PGlite through pglite-socket)', () => {
    it('serves the classic events schema to the ordinary pg driver', async () => {
      const local = await engine.connections.resolve('local');
      const result = await call('connections.test', { id: 'local' });
      expect(result).toMatchObject({ ok: true, serverVersion: expect.stringMatching(/^PostgreSQL/) });
      const client = new pg.Client({ host: '127.0.0.1', port: (local.settings as { port: number }).port, user: 'postgres', database: 'postgres' });
      await client.connect();
      const columns = await client.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'events' ORDER BY ordinal_position`,
      );
      await client.end();
      expect(columns.rows.map((r) => r.column_name)).toEqual(
        expect.arrayContaining([
          'event_id',
          'aggregate_id',
          'aggregate_type',
          'event_type',
          'event_version',
          'event_data',
          'metadata',
          'timestamp',
          'global_position',
        ]),
      );
    });

    it('cannot be removed or edited', async () => {
      await expect(call('connections.update', { id: 'local', name: 'x' })).rejects.toMatchObject({ code: 'forbidden' });
    });
  });

  describe('MongoDB (FerretDB)', () => {
    it('reports server version and round-trip time', async () => {
      const result = await call('connections.test', {
        settings: { kind: 'mongo', uri: testServices.mongoUrl, database: 'chronoscope_probe', connectTimeoutMs: 3000 },
      });
      expect(result).toMatchObject({ ok: true, serverVersion: expect.stringMatching(/^MongoDB \d/) });
      expect(result.rttMs).toBeGreaterThan(0);
    });

    it('explains a port nobody listens on', async () => {
      const result = await call('connections.test', { settings: { kind: 'mongo', uri: 'mongodb://127.0.0.1:1/', database: 'x', connectTimeoutMs: 1000 } });
      expect(result.error?.code).toMatch(/connection_refused|timeout/);
      expect(result.error?.message).toContain('127.0.0.1:1');
    });
  });

  describe.each(testServices.kafkaClusters)('Kafka $version', (cluster) => {
    const kafkaSettings = (overrides: Record<string, unknown> = {}) => ({
      kind: 'kafka' as const,
      brokers: cluster.brokers,
      connectTimeoutMs: 3000,
      ...overrides,
    });

    it('reports the cluster id and round-trip time', async () => {
      const result = await call('connections.test', { settings: kafkaSettings() });
      expect(result).toMatchObject({ ok: true, clusterId: expect.any(String), details: { brokers: '1' } });
    });

    it('authenticates with SASL and explains a wrong password', async () => {
      const settings = kafkaSettings({ brokers: cluster.saslBrokers, sasl: { mechanism: 'plain', username: cluster.saslUser } });
      expect((await call('connections.test', { settings, secret: cluster.saslPassword })).ok).toBe(true);
      const wrong = await call('connections.test', { settings, secret: 'nope' });
      expect(wrong).toMatchObject({ ok: false, error: { code: 'auth_failed' } });
    });

    it('explains a TLS mismatch or a dead port', async () => {
      const tls = await call('connections.test', { settings: kafkaSettings({ tls: true, connectTimeoutMs: 1500 }) });
      expect(tls.ok).toBe(false);
      expect(tls.error?.code).toMatch(/tls_error|timeout|unavailable/);
      const dead = await call('connections.test', { settings: kafkaSettings({ brokers: ['127.0.0.1:1'], connectTimeoutMs: 1000 }) });
      expect(dead.error?.code).toBe('connection_refused');
    });

    it('creates a topic, produces, consumes in a group and reads its committed offsets', async () => {
      const view = await call('connections.add', { name: `kafka-${Date.now()}`, settings: kafkaSettings() });
      const resolved = await engine.connections.resolve(view.id);
      if (resolved.settings.kind !== 'kafka') throw new Error('expected a kafka profile');
      const kafka = createKafka(resolved.settings, resolved.secret);
      const topic = `chrono-it-${Date.now()}`;
      const groupId = `${topic}-group`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ key: `agg-${i % 3}`, value: JSON.stringify({ n: i }) })) });
      await producer.disconnect();

      const consumer = kafka.consumer({ groupId });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const seen: number[] = [];
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`consumed only ${seen.length} of 10`)), 30_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            seen.push(JSON.parse(String(message.value)).n);
            if (seen.length === 10) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
      await consumer.disconnect(); // commits the offsets
      const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
      const committed = offsets[0]!.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
      expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(committed).toBe(10);
    });
  });
});
