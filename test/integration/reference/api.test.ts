import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceSystem, type RunningReferenceSystem } from '../../../src-main/reference/api/system';
import { testServices } from '../env';
import { createTestDatabase, createTestMongo, eventually, randomSuffix, type TestDatabase, type TestMongo } from './support';

let database: TestDatabase;
let mongo: TestMongo;
let system: RunningReferenceSystem;

beforeAll(async () => {
  database = await createTestDatabase();
  mongo = await createTestMongo();
  const mongoUrl = new URL(testServices.mongoUrl);
  mongoUrl.pathname = `/${mongo.name}`;
  const suffix = randomSuffix();
  system = await startReferenceSystem({
    postgresUrl: database.url,
    mongoUrl: mongoUrl.toString(),
    kafkaBrokers: testServices.kafkaBrokers,
    port: 0,
    topic: `domain_events_${suffix}`,
    groupPrefix: `api-${suffix}`,
    quietKafka: true,
    log: () => undefined,
  });
});

afterAll(async () => {
  await system?.stop();
  await mongo?.drop();
  await database?.drop();
});

async function call(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${system.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('reference HTTP API', () => {
  it('accepts a product command with 202 and the event id, and GET /products/:id reflects it within 5 s', async () => {
    const started = Date.now();
    const created = await call('POST', '/products', { productId: 'api-p1', name: 'Teapot', sku: 'T-1', priceCents: 2500, initialStock: 4 });
    expect(created.status).toBe(202);
    expect(created.body.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await call('POST', '/products/api-p1/price', { priceCents: 2700 })).status).toBe(202);
    const view = await eventually(
      async () => {
        const r = await call('GET', '/products/api-p1');
        return r.status === 200 && r.body.version === 2 ? r.body : undefined;
      },
      5_000,
      'GET /products/api-p1 at version 2',
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(view).toMatchObject({ name: 'Teapot', priceCents: 2700, stock: 4 });
  });

  it('runs accounts on the Mongo store into accounts_view, idempotent per Idempotency-Key', async () => {
    expect((await call('POST', '/accounts', { accountId: 'api-a1', ownerId: 'c1', currency: 'EUR' })).status).toBe(202);
    const first = await call('POST', '/accounts/api-a1/deposits', { amountCents: 1000 }, { 'idempotency-key': 'dep-42' });
    const retry = await call('POST', '/accounts/api-a1/deposits', { amountCents: 1000 }, { 'idempotency-key': 'dep-42' });
    expect(retry.body).toMatchObject({ eventId: first.body.eventId, duplicate: true });
    const account = await eventually(
      async () => {
        const r = await call('GET', '/accounts/api-a1');
        return r.status === 200 && r.body.version === 2 ? r.body : undefined;
      },
      5_000,
      'accounts_view api-a1 at version 2',
    );
    expect(account.balanceCents).toBe(1000);
  });

  it('answers rule violations, bad input and unknown routes with clear statuses', async () => {
    const overdraft = await call('POST', '/accounts/api-a1/withdrawals', { amountCents: 1_000_000 });
    expect(overdraft).toMatchObject({ status: 422, body: { code: 'insufficient_funds' } });
    expect((await call('POST', '/accounts/api-a1/deposits', { amountCents: -5 })).status).toBe(400);
    expect((await call('POST', '/accounts/nope/deposits', { amountCents: 5 })).status).toBe(404);
    expect((await call('GET', '/nowhere')).status).toBe(404);
    const res = await fetch(`${system.url}/products`, { method: 'POST', body: '{oops' });
    expect(res.status).toBe(400);
  });
});
