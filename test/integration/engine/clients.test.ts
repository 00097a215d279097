import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Clients } from '../../../src-main/engine/connections/clients';
import type { Engine } from '../../../src-main/engine/engine';
import { createTestEngine, engineCaller } from '../engine-support';
import { testServices } from '../env';

describe('Clients per connection, against the real Kafka broker', () => {
  let engine: Engine;
  let clients: Clients;

  beforeAll(async () => {
    engine = await createTestEngine('clients');
    clients = new Clients(engine.connections);
  });

  afterAll(async () => {
    await clients.closeAll();
    await engine.dispose();
  });

  it('opens one Kafka admin per connection lazily, reuses it, and disconnects it on close', async () => {
    const call = engineCaller(() => engine);
    const view = await call('connections.add', { name: `kafka-${Date.now()}`, settings: { kind: 'kafka', brokers: testServices.kafkaBrokers, connectTimeoutMs: 3000 } });
    expect(clients.health(view.id).kafkaAdmin).toBe(false);

    const admin = await clients.kafkaAdmin(view.id);
    expect(await clients.kafkaAdmin(view.id)).toBe(admin);
    expect(clients.health(view.id)).toEqual({ pool: false, mongo: false, kafkaAdmin: true });
    expect(Array.isArray(await admin.listTopics())).toBe(true);

    let disconnected = false;
    admin.on(admin.events.DISCONNECT, () => {
      disconnected = true;
    });
    await clients.close(view.id);
    expect(disconnected).toBe(true);
    expect(clients.health(view.id).kafkaAdmin).toBe(false);

    const reopened = await clients.kafkaAdmin(view.id);
    expect(reopened).not.toBe(admin);
    await clients.closeAll();
    expect(clients.health(view.id).kafkaAdmin).toBe(false);
  });

  it('refuses a Kafka admin for a connection of another kind, and keeps nothing from the failed attempt', async () => {
    const call = engineCaller(() => engine);
    const view = await call('connections.add', { name: `pg-${Date.now()}`, settings: { kind: 'postgres', host: '127.0.0.1', port: 1, database: 'x', user: 'x' }, secret: 'x' });
    await expect(clients.kafkaAdmin(view.id)).rejects.toThrow(/is not a Kafka connection/);
    expect(clients.health(view.id).kafkaAdmin).toBe(false);
  });
});
