import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceSystem } from '../../src-main/reference/api/system';
import { engineCaller, postgresConnection } from '../integration/engine-support';
import { createTestDatabase, createTestMongo, randomSuffix } from '../integration/reference/support';
import { createTopic, joinedConsumer, kafkaFor, produce, uniqueName } from '../integration/kafka-support';
import { testServices } from '../integration/env';
import { closeAppPage, goTo, openAppPage, screenshot, type RunningApp } from './harness';

describe('the Kafka screen', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let consumer: Consumer | undefined;
  let connectionId: string;
  const topic = uniqueName('e2e-orders');
  const groupId = uniqueName('e2e-projector');
  let feeding = true;
  let feeder: Promise<void> | undefined;
  const call = engineCaller(() => app.engine);

  beforeAll(async () => {
    ({
      app,
      browser,
      page,
      errors: pageErrors,
    } = await openAppPage({
      beforePage: async (_, engineCall) => {
        await engineCall('kafka.configureSampler', { intervalMs: 1000 });
        connectionId = (
          await engineCall('connections.add', { name: 'Orders cluster', readOnly: false, settings: { kind: 'kafka', brokers: testServices.kafkaBrokers } })
        ).id;
        kafka = kafkaFor(testServices.kafkaBrokers);
        admin = kafka.admin();
        producer = kafka.producer();
        await Promise.all([admin.connect(), producer.connect()]);
        await createTopic(admin, topic, 2);
        await produce(producer, topic, 0, 20);
        await produce(producer, topic, 1, 10);
        consumer = await joinedConsumer(kafka, groupId, topic, 'orders-projector');
        // A projector that commits one message per round while three arrive: it falls behind.
        let committed = 0;
        feeder = (async () => {
          while (feeding) {
            await produce(producer, topic, 0, 3);
            await produce(producer, topic, 1, 1);
            committed += 1;
            await consumer!.commitOffsets([
              { topic, partition: 0, offset: String(committed) },
              { topic, partition: 1, offset: String(committed) },
            ]);
            await new Promise((resolve) => setTimeout(resolve, 400));
          }
        })();
      },
    }));
  }, 240_000);

  afterAll(async () => {
    feeding = false;
    await feeder;
    await consumer?.disconnect();
    await Promise.all([admin?.disconnect(), producer?.disconnect()]);
    await closeAppPage(app, browser);
  });

  it("lists the group with its lag and status, and charts a lagging group's lag in messages and seconds", async () => {
    await goTo(page, `#/kafka?c=${connectionId}`);
    const row = page.locator(`[data-testid="kafka-group-row"][data-group-id="${groupId}"]`);
    await row.waitFor({ timeout: 30_000 });
    await expect.poll(() => row.getByTestId('kafka-group-status').textContent(), { timeout: 60_000 }).toBe('WARN');
    // Its lag in time is read from the message at the committed offset, and labelled so.
    await expect.poll(() => row.getByTestId('kafka-group-lag-seconds').getAttribute('data-basis'), { timeout: 60_000 }).toBe('exact');
    expect(await row.getByTestId('kafka-group-lag-seconds').textContent()).toMatch(/ s|min/);
    expect(await row.getByTestId('kafka-group-lag-seconds').textContent()).toContain('exact');
    expect(await page.getByTestId('kafka-groups-age').getAttribute('data-source')).toBe('sampler');
    expect(await page.getByTestId('kafka-groups').locator('th').allTextContents()).toEqual(
      expect.arrayContaining(['Lag (messages, all partitions)', 'Lag (time, worst partition)']),
    );

    await row.getByRole('button', { name: groupId }).click();
    const chart = page.getByTestId('kafka-lag-chart');
    await chart.waitFor({ timeout: 30_000 });
    await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 30_000 }).toBeGreaterThanOrEqual(5);
    expect(await page.getByTestId('kafka-group').getByTestId('kafka-group-status').textContent()).toBe('WARN');
    expect(await page.getByTestId('kafka-group-reason').textContent()).toMatch(/never shrank/);
    expect(await page.getByTestId('kafka-seconds-chart').locator('.recharts-reference-line').count()).toBe(1);
    expect(await page.getByTestId('kafka-status-timeline').locator('[data-status="WARN"]').count()).toBeGreaterThanOrEqual(1);
    // Messages add up over partitions (two stacked areas); seconds do not: one area, the worst partition's.
    expect(await page.getByTestId('kafka-messages-title').textContent()).toContain('Messages behind, all partitions');
    expect(await page.getByTestId('kafka-messages-chart').locator('.recharts-area').count()).toBe(2);
    const seconds = page.getByTestId('kafka-seconds-chart');
    expect(await page.getByTestId('kafka-seconds-title').textContent()).toContain('Seconds behind, worst partition');
    expect(await seconds.getAttribute('data-view')).toBe('worst');
    expect(await seconds.locator('.recharts-area').count()).toBe(1);
    // The time axis is the chosen range (1 hour by default), not the few samples so far; seconds tick at round durations, never alike.
    const [from, to] = (await chart.getAttribute('data-domain'))!.split(',').map(Number);
    expect(to! - from!).toBe(60 * 60_000);
    const secondTicks = await seconds.locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value').allTextContents();
    expect(secondTicks[0]).toBe('0 s');
    expect(new Set(secondTicks).size).toBe(secondTicks.length);
    expect(page.url()).toContain(`g=${groupId}`);
    await expect.poll(() => page.getByTestId('kafka-partition-lag-seconds').first().getAttribute('data-basis'), { timeout: 30_000 }).toBe('exact');

    // The operator's SLO is saved in the engine and drawn on the seconds chart.
    await page.getByTestId('kafka-slo').fill('2');
    await page.getByTestId('kafka-slo').press('Enter');
    await page.getByTestId('kafka-seconds-chart').getByText('SLO 2 s').waitFor({ timeout: 15_000 });
    expect((await call('kafka.samplerSettings', {})).sloSeconds).toBe(2);
    await expect.poll(() => page.getByTestId('kafka-slo-status').textContent(), { timeout: 15_000 }).toMatch(/SLO 2 s per partition (exceeded|met): worst/);
    await seconds.scrollIntoViewIfNeeded();
    await screenshot(page, 'kafka-lag');

    // On demand, one line per partition, not stacked, with the same SLO line.
    await page.getByTestId('kafka-seconds-view-partitions').click();
    await expect.poll(() => seconds.getAttribute('data-view')).toBe('partitions');
    expect(await page.getByTestId('kafka-seconds-title').textContent()).toContain('Seconds behind, per partition');
    await expect.poll(() => seconds.locator('.recharts-line').count(), { timeout: 15_000 }).toBe(2);
    expect(await seconds.locator('.recharts-area').count()).toBe(0);
    expect(await seconds.locator('.recharts-reference-line').count()).toBe(1);
    expect(await page.getByTestId('kafka-seconds-limited').count()).toBe(0); // two partitions: all drawn
    await screenshot(page, 'kafka-lag-per-partition');
    await page.getByTestId('kafka-seconds-view-worst').click();
    await expect.poll(() => seconds.getAttribute('data-view')).toBe('worst');
  }, 180_000);

  it('resets the offsets with a dry run and a confirmation: refused while the projector runs, applied once it stopped', async () => {
    await page.getByTestId('kafka-reset-open').click();
    const dialog = page.getByTestId('kafka-reset-dialog');
    await dialog.getByTestId('kafka-reset-strategy').selectOption('earliest');
    await dialog.getByTestId('kafka-reset-dry-run').click();
    await dialog.getByTestId('kafka-reset-blocked').waitFor();
    expect(await dialog.getByTestId('kafka-reset-blocked').textContent()).toContain('orders-projector');
    expect(await dialog.getByTestId('kafka-reset-confirm').isDisabled()).toBe(true);

    feeding = false;
    await feeder;
    await consumer!.disconnect();
    consumer = undefined;
    const before = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions
      .sort((a, b) => a.partition - b.partition)
      .map((p) => Number(p.offset));

    // A changed field drops the old plan; a new dry run makes a new one.
    await dialog.getByTestId('kafka-reset-scope').selectOption('topic');
    expect(await dialog.getByTestId('kafka-reset-plan').count()).toBe(0);
    await dialog.getByTestId('kafka-reset-dry-run').click();
    await expect.poll(() => dialog.getByTestId('kafka-reset-row').count(), { timeout: 30_000 }).toBe(2);
    expect(await dialog.getByTestId('kafka-reset-blocked').count()).toBe(0);
    expect(await dialog.getByTestId('kafka-reset-summary').textContent()).toContain(
      `${(before[0]! + before[1]!).toLocaleString('en-US')} messages would be processed again`,
    );
    await dialog.getByTestId('kafka-reset-reason').fill('OPS-42: rebuild the orders view');
    await screenshot(page, 'kafka-reset-dry-run');
    await dialog.getByTestId('kafka-reset-confirm').click();
    await dialog.getByTestId('kafka-reset-done').waitFor({ timeout: 30_000 });

    const after = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.map((p) => p.offset);
    expect(after).toEqual(['0', '0']);
    const audit = await call('audit.list', { operation: 'kafka.resetOffsets' });
    expect(audit.records[0]).toMatchObject({
      outcome: 'ok',
      dryRun: false,
      reason: 'OPS-42: rebuild the orders view',
      target: `kafka:${connectionId}:group:${groupId}`,
    });
    await screenshot(page, 'kafka-reset-done');
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it("browses a partition's messages and follows it live", async () => {
    await goTo(page, `#/kafka?c=${connectionId}&t=${topic}&p=1`);
    const rows = page.getByTestId('kafka-message-row');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(10);
    expect(await rows.first().textContent()).toContain('json');

    await page.getByTestId('kafka-browser-from').fill('3');
    await page.getByTestId('kafka-browser-read').click();
    await expect.poll(() => rows.first().locator('td').first().textContent(), { timeout: 30_000 }).toBe('3');
    expect(page.url()).toContain('from=3');

    await page.getByTestId('kafka-browser-follow').click();
    await page.getByText('Waiting for new messages…').or(rows.first()).waitFor({ timeout: 30_000 });
    await producer.send({ topic, messages: [{ partition: 1, key: 'live-key', value: 'live value' }] });
    await page.getByText('live value').waitFor({ timeout: 30_000 });
    await screenshot(page, 'kafka-topic-browser');
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('draws the store-to-read-model line of a stopped reference projector, says where it is behind, and checks the outbox', async () => {
    const database = await createTestDatabase('e2e_pipe');
    const mongo = await createTestMongo('e2e_pipe');
    const mongoUrl = new URL(testServices.mongoUrl);
    mongoUrl.pathname = `/${mongo.name}`;
    const suffix = randomSuffix();
    const groupPrefix = `e2e-${suffix}`;
    const system = await startReferenceSystem({
      postgresUrl: database.url,
      mongoUrl: mongoUrl.toString(),
      kafkaBrokers: testServices.kafkaBrokers,
      port: 0,
      topic: `domain_events_${suffix}`,
      groupPrefix,
      quietKafka: true,
      log: () => undefined,
    });
    const post = async (path: string, body: unknown) =>
      expect(
        (await fetch(`${system.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status,
      ).toBe(202);
    try {
      const storeId = (await call('connections.add', { ...postgresConnection('Reference store', database.url), readOnly: true })).id;
      await call('stores.configure', { connectionId: storeId, preset: 'classic', reason: 'e2e' });
      for (let i = 0; i < 3; i += 1) await post('/products', { productId: `e2e-p${i}`, name: `Teapot ${i}`, sku: `T-${i}`, priceCents: 1200 });
      const groupId = `${groupPrefix}-orders-view`;
      await goTo(page, `#/kafka?c=${connectionId}&g=${groupId}&store=${storeId}`);
      const line = page.getByTestId('kafka-pipeline');
      await line.waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('kafka-pipeline-projection').inputValue()).toBe('orders_view');
      await expect.poll(() => line.getAttribute('data-behind'), { timeout: 30_000 }).toBe('none');

      await system.stopProjector('orders_view');
      for (let i = 3; i < 9; i += 1) await post('/products', { productId: `e2e-p${i}`, name: `Teapot ${i}`, sku: `T-${i}`, priceCents: 1200 });
      await expect.poll(() => line.getAttribute('data-behind'), { timeout: 30_000 }).toBe('consumer');
      expect(await page.getByTestId('kafka-pipeline-behind').textContent()).toBe('behind at: consumer');
      expect(await page.getByTestId('kafka-pipeline-summary').textContent()).toMatch(
        /^Behind at the consumer \(group .*-orders-view\): \d+ messages on the topic the group has not consumed\./,
      );
      // The relay publishes within a moment of each write; under load its last batch may still be on the way.
      await expect.poll(() => line.locator('[data-testid="kafka-pipeline-stage"][data-stage="relay"] td').nth(2).textContent(), { timeout: 30_000 }).toBe('0');
      const chart = page.getByTestId('kafka-pipeline-chart');
      await expect.poll(async () => Number((await chart.getAttribute('data-points')) ?? 0), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
      expect(await chart.locator('.recharts-line').count()).toBe(3);
      expect(await page.getByTestId('kafka-pipeline-positions').locator('.recharts-line').count()).toBe(5);

      await page.getByTestId('kafka-gaps-run').click();
      await page.getByTestId('kafka-gaps-report').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('kafka-gaps-counts').textContent()).toBe('0 missing, 0 published twice');
      await page.getByTestId('kafka-pipeline-panel').scrollIntoViewIfNeeded();
      await screenshot(page, 'kafka-pipeline');
      expect(pageErrors).toEqual([]);
    } finally {
      await system.stop();
      await mongo.drop();
      await database.drop();
    }
  }, 180_000);
});
