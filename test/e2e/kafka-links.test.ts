import { randomUUID } from 'node:crypto';
import type { Admin, Producer } from 'kafkajs';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceSystem, type RunningReferenceSystem } from '../../src-main/reference/api/system';
import { engineCaller, postgresConnection } from '../integration/engine-support';
import { testServices } from '../integration/env';
import { createTopic, kafkaFor, uniqueName } from '../integration/kafka-support';
import { createTestDatabase, createTestMongo, eventually, randomSuffix, type TestDatabase, type TestMongo } from '../integration/reference/support';
import { createClassicStore, closeAppPage, goTo, openAppPage, screenshot, type RunningApp } from './harness';

/** The Local workspace as issue 21 found it: an outbox whose 998 rows were never published, unrelated to any cluster. */
async function unpublishedLocalOutbox(endpoint: { host: string; port: number; database: string; user: string }): Promise<undefined> {
  const client = new pg.Client({ ...endpoint });
  await client.connect();
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS outbox (
      id bigserial PRIMARY KEY, event_id uuid NOT NULL, aggregate_id varchar(255) NOT NULL, topic varchar(255) NOT NULL,
      payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), published_at timestamptz)`);
    await client.query(
      "INSERT INTO outbox (event_id, aggregate_id, topic, payload) SELECT gen_random_uuid(), 'local-' || n, 'domain_events', '{}' FROM generate_series(1, 998) AS n",
    );
  } finally {
    await client.end();
  }
  return undefined;
}

/**
 * The Kafka screens open and measure the event store linked to the cluster's
 * topic (here detected from the reference outbox that published it), ask when
 * none is, and the stream page says when a stream or a version is not there.
 */
describe('the Kafka screens and the linked event store', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  let database: TestDatabase;
  let unconfirmed: TestDatabase;
  let mongo: TestMongo;
  let system: RunningReferenceSystem;
  let admin: Admin;
  let producer: Producer;
  let kafkaId: string;
  let storeId: string;
  let unconfirmedId: string;
  const call = engineCaller(() => app.engine);
  const suffix = randomSuffix();
  const topic = `domain_events_${suffix}`;
  const groupPrefix = `e2e-link-${suffix}`;
  const productId = `kettle-${suffix}`;
  const plainTopic = uniqueName('e2e-plain');
  const plainGroup = `${uniqueName('e2e-plain')}-view`;

  beforeAll(async () => {
    [database, unconfirmed, mongo] = await Promise.all([
      createTestDatabase('e2e_link'),
      createClassicStore('e2e_link_unconfirmed'),
      createTestMongo('e2e_link'),
    ]);
    const mongoUrl = new URL(testServices.mongoUrl);
    mongoUrl.pathname = `/${mongo.name}`;
    const kafkaBrokers = testServices.kafkaBrokers;
    system = await startReferenceSystem({
      postgresUrl: database.url,
      mongoUrl: mongoUrl.toString(),
      kafkaBrokers,
      port: 0,
      topic,
      groupPrefix,
      quietKafka: true,
      log: () => undefined,
    });
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${system.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(202);
    };
    await post('/products', { productId, name: 'Kettle', sku: 'K-1', priceCents: 1000 });
    for (const priceCents of [1100, 1200, 1300]) await post(`/products/${productId}/price`, { priceCents });
    await eventually(
      async () => (await database.pool.query('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL')).rows[0].n === '0' || undefined,
      30_000,
      'outbox relayed',
    );

    const kafka = kafkaFor(testServices.kafkaBrokers);
    admin = kafka.admin();
    producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
    // A topic no outbox published: an event of a stream no store has, and a group on it.
    await createTopic(admin, plainTopic, 1);
    await producer.send({
      topic: plainTopic,
      messages: [{ key: 'ghost-stream', value: JSON.stringify({ aggregateId: 'ghost-stream', version: 152, eventId: randomUUID() }) }],
    });
    await admin.setOffsets({ groupId: plainGroup, topic: plainTopic, partitions: [{ partition: 0, offset: '0' }] });

    ({
      app,
      browser,
      page,
      errors: pageErrors,
    } = await openAppPage({
      initializeLocalWorkspace: unpublishedLocalOutbox,
      beforePage: async (_, engineCall) => {
        kafkaId = (await engineCall('connections.add', { name: 'Cluster', readOnly: true, settings: { kind: 'kafka', brokers: testServices.kafkaBrokers } }))
          .id;
        storeId = (await engineCall('connections.add', { ...postgresConnection('Reference store', database.url), readOnly: true })).id;
        await engineCall('stores.configure', { connectionId: storeId, preset: 'classic', reason: 'e2e' });
        unconfirmedId = (await engineCall('connections.add', { ...postgresConnection('Unconfirmed store', unconfirmed.url), readOnly: true })).id;
      },
    }));
  }, 240_000);

  afterAll(async () => {
    await Promise.all([admin?.disconnect(), producer?.disconnect()]);
    await closeAppPage(app, browser);
    await system?.stop();
    await Promise.all([mongo?.drop(), database?.drop(), unconfirmed?.drop()]);
  });

  /** The partition of the topic holding the stream's messages (the relay keys them by stream). */
  async function partitionOf(streamId: string): Promise<number> {
    for (let partition = 0; partition < 16; partition += 1) {
      const read = await call('kafka.messages', { connectionId: kafkaId, topic, partition, from: { kind: 'offset', offset: '0' }, limit: 100 }).catch(
        () => undefined,
      );
      if (read?.messages.some((m) => m.event?.streamId === streamId)) return partition;
    }
    throw new Error(`no message of ${streamId} on ${topic}`);
  }

  it("opens an event in the linked store, at the message's version, whichever store was active", async () => {
    const partition = await partitionOf(productId);
    const browsed = `#/kafka?c=${kafkaId}&t=${topic}&p=${partition}&from=0`;
    await goTo(page, browsed);
    expect(await page.locator('#active-connection-select').inputValue()).toBe('local');
    const row = page
      .getByTestId('kafka-message-row')
      .filter({ hasText: `"aggregateId": "${productId}"` })
      .filter({ hasText: /"version": 2(?!\d)/ });
    await row.waitFor({ timeout: 30_000 });
    await row.getByTestId('kafka-open-event').click();
    await page.getByTestId('stream-screen').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('stream-id').textContent()).toBe(productId);
    const selected = page.locator('[data-testid="stream-event"][aria-selected="true"]');
    await selected.waitFor({ timeout: 30_000 });
    expect(await selected.getAttribute('data-version')).toBe('2');
    await expect.poll(() => page.getByTestId('stream-total').textContent(), { timeout: 30_000 }).toBe('4');
    expect(await page.locator('#active-connection-select').inputValue()).toBe(storeId);
    await screenshot(page, 'kafka-links-open-event');

    // The topic browser says which store its events open in, and how it was found.
    await goTo(page, browsed);
    const link = page.getByTestId('kafka-store-link');
    await link.waitFor({ timeout: 30_000 });
    expect(await link.getAttribute('data-connection-id')).toBe(storeId);
    expect(await link.getAttribute('data-how')).toBe('detected');
    await screenshot(page, 'kafka-links-topic-linked');
  }, 120_000);

  it('says a version past the end of the stream is not found', async () => {
    await goTo(page, `#/stream/${productId}?version=152`);
    const missing = page.getByTestId('stream-version-not-found');
    await missing.waitFor({ timeout: 30_000 });
    expect(await missing.textContent()).toBe('Version 152 not found: this stream has versions 1 to 4.');
    await screenshot(page, 'kafka-links-version-not-found');
    await page.getByTestId('stream-version-nearest').click();
    await expect.poll(() => page.locator('[data-testid="stream-event"][aria-selected="true"]').getAttribute('data-version'), { timeout: 30_000 }).toBe('4');
  }, 60_000);

  it('asks which event store for an unlinked topic, listing them, and says a missing stream is not found', async () => {
    await goTo(page, `#/kafka?c=${kafkaId}&t=${plainTopic}&p=0&from=0`);
    await page.getByTestId('kafka-store-unlinked').waitFor({ timeout: 30_000 });
    await page.getByTestId('kafka-open-event').click();
    const chooser = page.getByTestId('kafka-store-chooser');
    await chooser.waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('kafka-store-question').textContent()).toMatch(
      /^Open ghost-stream at version 152 in which event store\? No event store is linked to "Cluster"/,
    );
    const choices = chooser.getByTestId('kafka-store-choice');
    expect((await choices.evaluateAll((els) => els.map((el) => el.getAttribute('data-connection-id')))).sort()).toEqual(
      ['local', storeId, unconfirmedId].sort(),
    );
    expect(await chooser.locator(`[data-connection-id="${unconfirmedId}"]`).textContent()).toContain('preset not confirmed');
    expect(page.url()).toContain('#/kafka');
    await screenshot(page, 'kafka-links-ask');

    // Chosen for this event only: nothing is linked.
    await chooser.getByTestId('kafka-store-remember').uncheck();
    await chooser.locator(`[data-connection-id="${storeId}"]`).click();
    const notFound = page.getByTestId('stream-not-found');
    await notFound.waitFor({ timeout: 30_000 });
    expect(await notFound.textContent()).toContain('“Reference store” has no stream ghost-stream');
    expect(await page.getByTestId('stream-total').count()).toBe(0);
    expect((await call('connections.list', {})).find((c) => c.id === kafkaId)?.pipeline).toBeUndefined();
    await screenshot(page, 'kafka-links-stream-not-found');
  }, 90_000);

  it("draws the group's store-to-read-model line from the linked store, never the Local workspace's relay", async () => {
    await goTo(page, `#/kafka?c=${kafkaId}&g=${groupPrefix}-orders-view`);
    const line = page.getByTestId('kafka-pipeline');
    await line.waitFor({ timeout: 30_000 });
    await expect.poll(() => line.getAttribute('data-behind'), { timeout: 30_000 }).toBe('none');
    expect(await page.getByTestId('kafka-pipeline-panel').textContent()).not.toContain('behind at: relay');
    const link = page.getByTestId('kafka-pipeline-panel').getByTestId('kafka-store-link');
    expect(await link.getAttribute('data-connection-id')).toBe(storeId);
    await page.getByTestId('kafka-pipeline-panel').scrollIntoViewIfNeeded();
    await screenshot(page, 'kafka-links-group-linked');
  }, 90_000);

  it("asks for an unlinked group's store without figures, points at the preset to confirm, and links the store chosen", async () => {
    await goTo(page, `#/kafka?c=${kafkaId}&g=${plainGroup}`);
    const panel = page.getByTestId('kafka-pipeline-panel');
    const chooser = panel.getByTestId('kafka-store-chooser');
    await chooser.waitFor({ timeout: 30_000 });
    expect(await panel.getByTestId('kafka-pipeline').count()).toBe(0);
    expect(await panel.textContent()).not.toContain('behind at');
    await panel.scrollIntoViewIfNeeded();
    await screenshot(page, 'kafka-links-group-ask');

    // A store whose preset is not confirmed: no figures, a link to confirm it.
    await chooser.getByTestId('kafka-store-remember').uncheck();
    await chooser.locator(`[data-connection-id="${unconfirmedId}"]`).click();
    await panel.getByTestId('kafka-store-preset-unconfirmed').waitFor({ timeout: 30_000 });
    expect(await panel.getByTestId('kafka-pipeline').count()).toBe(0);
    expect(await panel.getByTestId('kafka-store-confirm-preset').getAttribute('href')).toBe('#/streams');
    await screenshot(page, 'kafka-links-preset-unconfirmed');

    // Another store, linked to the cluster: every Kafka screen uses it from now on.
    await panel.getByTestId('kafka-store-link-change').click();
    await panel.getByTestId('kafka-store-chooser').locator(`[data-connection-id="${storeId}"]`).click();
    await expect
      .poll(async () => (await call('connections.list', {})).find((c) => c.id === kafkaId)?.pipeline, { timeout: 15_000 })
      .toEqual({ eventStoreProfileId: storeId });
    await panel.getByTestId('kafka-pipeline').waitFor({ timeout: 30_000 });
    expect(await panel.getByTestId('kafka-store-link').getAttribute('data-connection-id')).toBe(storeId);
    await screenshot(page, 'kafka-links-group-chosen');
    await goTo(page, `#/kafka?c=${kafkaId}&t=${plainTopic}&p=0`);
    await expect.poll(() => page.getByTestId('kafka-store-link').getAttribute('data-how'), { timeout: 30_000 }).toBe('declared');

    // Unlinked again: the topic asks once more.
    await page.getByTestId('kafka-store-unlink').click();
    await page.getByTestId('kafka-store-unlinked').waitFor({ timeout: 30_000 });
    expect((await call('connections.list', {})).find((c) => c.id === kafkaId)?.pipeline).toBeUndefined();
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
