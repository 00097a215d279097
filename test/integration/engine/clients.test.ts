import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreChoices } from '../../../src-main/engine/browse/store-choices';
import { ConnectionScopes } from '../../../src-main/engine/connections/connection-scope';
import type { Engine } from '../../../src-main/engine/engine';
import { createTestEngine, engineCaller } from '../engine-support';
import { testServices } from '../env';

describe('Clients per connection scope, against the real Kafka broker', () => {
  let engine: Engine;
  let scopes: ConnectionScopes;

  beforeAll(async () => {
    engine = await createTestEngine('clients');
    scopes = new ConnectionScopes({ connections: engine.connections, choices: new StoreChoices(await mkdtemp(join(tmpdir(), 'chrono-choices-'))) });
  });

  afterAll(async () => {
    await scopes.closeAll();
    await engine.dispose();
  });

  it('opens one Kafka admin per connection lazily, reuses it, and disconnects it when the scope is replaced', async () => {
    const call = engineCaller(() => engine);
    const view = await call('connections.add', {
      name: `kafka-${Date.now()}`,
      settings: { kind: 'kafka', brokers: testServices.kafkaBrokers, connectTimeoutMs: 3000 },
    });
    const scope = scopes.get(view.id);
    expect(scope.clients.health().kafkaAdmin).toBe(false);

    const admin = await scopes.kafkaAdmin(view.id);
    expect(await scopes.kafkaAdmin(view.id)).toBe(admin);
    expect(scope.clients.health()).toEqual({ pool: false, mongo: false, kafkaAdmin: true });
    expect(Array.isArray(await admin.listTopics())).toBe(true);
    // The kafkajs client is the scope's, one per connection.
    expect(await scopes.kafka(view.id)).toBe(await scope.kafka());

    let disconnected = false;
    admin.on(admin.events.DISCONNECT, () => {
      disconnected = true;
    });
    await scopes.replace(view.id);
    const next = scopes.get(view.id);
    expect(disconnected).toBe(true);
    expect(scope.clients.health().kafkaAdmin).toBe(false);
    // The replaced scope opens nothing more: a late caller is told to try again.
    await expect(scope.kafkaAdmin()).rejects.toMatchObject({ code: 'unavailable' });

    const reopened = await scopes.kafkaAdmin(view.id);
    expect(reopened).not.toBe(admin);
    expect(next.clients.health().kafkaAdmin).toBe(true);
    await scopes.closeAll();
    expect(next.clients.health().kafkaAdmin).toBe(false);
  });

  it('refuses a Kafka admin or client for a connection of another kind, and keeps nothing from the failed attempt', async () => {
    const call = engineCaller(() => engine);
    const view = await call('connections.add', {
      name: `pg-${Date.now()}`,
      settings: { kind: 'postgres', host: '127.0.0.1', port: 1, database: 'x', user: 'x' },
      secret: 'x',
    });
    await expect(scopes.kafkaAdmin(view.id)).rejects.toThrow(/is not a Kafka connection/);
    await expect(scopes.kafka(view.id)).rejects.toThrow(/is not a Kafka connection/);
    expect(scopes.get(view.id).clients.health().kafkaAdmin).toBe(false);
  });
});
