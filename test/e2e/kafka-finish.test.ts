import type { Admin, Producer } from 'kafkajs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopic, joinedConsumer, kafkaFor, produce, uniqueName } from '../integration/kafka-support';
import { testServices } from '../integration/env';
import { closeAppPage, goTo, openAppPage, screenshot, type RunningApp } from './harness';

// Issue 23 item 14 on both brokers: the group sentence counts a topic's every partition, the cluster view shows
// the release a broker is at least (and how that is known), the topic browser shows JSON as a tree and its zone.
describe('the Kafka screen, finished', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  const clusters = testServices.kafkaClusters;
  const opened: { connectionId: string; admin: Admin; producer: Producer }[] = [];
  const topic = uniqueName('e2e-three');
  const groupId = uniqueName('e2e-two-committed');

  beforeAll(async () => {
    ({
      app,
      browser,
      page,
      errors: pageErrors,
    } = await openAppPage({
      beforePage: async (_, call) => {
        for (const cluster of clusters) {
          const connectionId = (await call('connections.add', { name: `Kafka ${cluster.version}`, settings: { kind: 'kafka', brokers: cluster.brokers } })).id;
          const kafka = kafkaFor(cluster.brokers);
          const admin = kafka.admin();
          const producer = kafka.producer();
          await Promise.all([admin.connect(), producer.connect()]);
          opened.push({ connectionId, admin, producer });
          await createTopic(admin, topic, 3);
          for (const partition of [0, 1, 2]) {
            await producer.send({
              topic,
              messages: [
                {
                  partition,
                  key: `order-${partition}`,
                  value: JSON.stringify({ aggregateId: `order-${partition}`, payload: { totalCents: 1200 + partition, lines: [{ sku: 'A-1' }] } }).replace(
                    '{',
                    `{"orderId":1234567890123456789${partition},`,
                  ),
                },
              ],
            });
          }
          await produce(producer, topic, 0, 1);
          const consumer = await joinedConsumer(kafka, groupId, topic, 'finish-projector');
          await consumer.commitOffsets([
            { topic, partition: 0, offset: '1' },
            { topic, partition: 1, offset: '1' },
          ]);
          await consumer.disconnect();
        }
      },
    }));
  }, 240_000);

  afterAll(async () => {
    for (const o of opened) await Promise.all([o.admin.disconnect(), o.producer.disconnect()]);
    await closeAppPage(app, browser);
  });

  it.each(clusters.map((cluster, index) => ({ version: cluster.version, index })))(
    'Kafka $version: the broker version, and a group committed to 2 of 3 partitions',
    async ({ version, index }) => {
      const { connectionId } = opened[index]!;
      await goTo(page, `#/kafka?c=${connectionId}`);
      const cell = page.getByTestId('kafka-broker-version').first();
      await cell.waitFor({ timeout: 30_000 });
      expect(await cell.textContent()).toBe(version.startsWith('3.9') ? 'Kafka ≥ 3.9' : 'Kafka ≥ 4.0');
      expect(await cell.getAttribute('title')).toMatch(/inferred from the protocol versions the broker supports/);
      expect(await page.getByTestId('kafka-brokers').locator('th').allTextContents()).toContain('Version');
      await screenshot(page, `kafka-finish-broker-version-${version.split('.').slice(0, 2).join('-')}`);

      await goTo(page, `#/kafka?c=${connectionId}&g=${groupId}`);
      await expect
        .poll(() => page.getByTestId('kafka-group-reason').textContent(), { timeout: 30_000 })
        .toBe(`2 of 3 partitions are OK; 1 has no commit (${topic}[2]).`);
      await screenshot(page, `kafka-finish-group-partitions-${version.split('.').slice(0, 2).join('-')}`);
      expect(pageErrors).toEqual([]);
    },
    120_000,
  );

  it('the topic browser shows a JSON value as a tree, and its time column names the zone', async () => {
    await goTo(page, `#/kafka?c=${opened[0]!.connectionId}&t=${topic}&p=1`);
    const row = page.getByTestId('kafka-message-row').first();
    await row.waitFor({ timeout: 30_000 });
    const tree = row.getByTestId('kafka-message-json');
    await tree.waitFor();
    // Two levels open: the payload's keys show, the lines array is folded to its size.
    expect(await tree.locator('[data-path="aggregateId"]').textContent()).toContain('"aggregateId": "order-1"');
    expect(await tree.locator('[data-path="payload.totalCents"]').textContent()).toContain('1201');
    expect(await tree.locator('[data-path="payload.lines"]').textContent()).toContain('1 item');
    // A 64-bit id past 2^53 is shown exactly, not rounded.
    expect(await tree.locator('[data-path="orderId"]').textContent()).toContain('12345678901234567891');
    const header = (await page.getByTestId('kafka-messages').locator('th').allTextContents())[1]!;
    expect(header).toMatch(/^Time \((UTC|[A-Za-z_]+\/[A-Za-z_/]+|local time)\)$/);
    const time = row.locator('time');
    expect(await time.textContent()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(await time.getAttribute('title')).toMatch(/T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$/);
    await screenshot(page, 'kafka-finish-topic-browser-json');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
