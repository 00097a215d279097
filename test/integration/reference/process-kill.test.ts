import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CommandHandler } from '../../../src-main/reference/commands/handlers';
import { createKafka, ensureTopic } from '../../../src-main/reference/kafka/client';
import { ReferencePostgresStore } from '../../../src-main/reference/postgres/event-store';
import { ensureReferenceSchema } from '../../../src-main/reference/postgres/schema';
import { testServices } from '../env';
import { createTestDatabase, createTestMongo, eventually, randomSuffix, type TestDatabase, type TestMongo } from './support';

// Real crashes: the relay and the products_view projector run as separate processes and are SIGKILLed mid-stream.
let database: TestDatabase;
let mongo: TestMongo;
let mongoUrl: string;
const topic = `domain_events_${randomSuffix()}`;
const children: ChildProcess[] = [];

function worker(role: string, extra: string[]): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src-main/reference/workers/main.ts', '--role', role, '--kafka', testServices.kafkaBrokers.join(','), '--topic', topic, ...extra],
    { cwd: process.cwd(), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal === null) console.error(`${role} exited with ${code}: ${stderr}`);
  });
  children.push(child);
  return child;
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  mongo = await createTestMongo();
  const url = new URL(testServices.mongoUrl);
  url.pathname = `/${mongo.name}`;
  mongoUrl = url.toString();
  await ensureReferenceSchema(database.pool);
  await ensureTopic(createKafka({ brokers: testServices.kafkaBrokers, quiet: true }), topic, 3);
});

afterEach(async () => {
  await Promise.all(children.splice(0).map(kill));
});

afterAll(async () => {
  await mongo?.drop();
  await database?.drop();
});

const backlog = async () => Number((await database.pool.query('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL')).rows[0].n);

describe('SIGKILLed workers', () => {
  it('lose nothing and apply nothing twice when the relay and the projector are killed mid-stream', async () => {
    const handler = new CommandHandler({ storeFor: () => new ReferencePostgresStore(database.pool, { topic }) });
    const products = Array.from({ length: 30 }, (_, i) => `kill-${i}`);
    for (const id of products) await handler.execute('Product', id, { type: 'CreateProduct', name: id, sku: id, priceCents: 100, initialStock: 0 });
    for (let round = 1; round <= 9; round++)
      for (const id of products) await handler.execute('Product', id, { type: 'AdjustStock', delta: round, reason: 'restock' });
    const total = await backlog();
    expect(total).toBe(300);

    const relay1 = worker('pg-relay', ['--pg', database.url, '--batch-size', '10', '--throttle-ms', '100']);
    await eventually(async () => (await backlog()) < total - 30, 20_000, 'the first relay to publish some batches');
    await kill(relay1);
    const left = await backlog();
    expect(left).toBeGreaterThan(0);
    worker('pg-relay', ['--pg', database.url, '--batch-size', '50']);
    await eventually(async () => (await backlog()) === 0, 20_000, 'the second relay to drain the outbox');

    const group = `kill-products-${randomSuffix()}`;
    const views = mongo.db.collection('products_view');
    const projector1 = worker('products-view', ['--mongo', mongoUrl, '--group', group, '--batch-size', '7', '--throttle-ms', '150']);
    await eventually(async () => (await views.countDocuments()) >= 10, 30_000, 'the first projector to build some of the view');
    await kill(projector1);
    worker('products-view', ['--mongo', mongoUrl, '--group', group, '--batch-size', '50']);
    await eventually(async () => (await views.countDocuments({ version: 10 })) === products.length, 30_000, 'every product at version 10');
    const stocks = (await views.find({}).toArray()).map((d) => d.stock as number);
    expect(new Set(stocks)).toEqual(new Set([45])); // 1+2+...+9; any re-applied adjustment would show
  });
});
