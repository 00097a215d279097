/** Shared measuring for the bench scripts: latency medians, paging a feed to its end, the main process during a job, the bare kafkajs floor. */
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import type { EventStore } from '../src-main/stores/event-store';

/** Runs `read` once to warm caches, then `runs` times; prints median and p95 in ms. */
export async function printMedian(name: string, runs: number, read: () => Promise<unknown>): Promise<void> {
  await read();
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    await read();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const p = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1);
  console.log(`  ${name.padEnd(44)} median ${p(0.5).padStart(7)} ms   p95 ${p(0.95).padStart(7)} ms`);
}

/** Pages the global feed 1000 events at a time up to `limit` events; prints events/s and RSS along the way (flat means streaming). */
export async function printFeedPaging(store: EventStore, limit: number): Promise<void> {
  let after: string | undefined;
  let seen = 0;
  const rss: number[] = [];
  const started = performance.now();
  while (seen < limit) {
    const page = await store.readFeed({ limit: 1000, ...(after ? { afterPosition: after } : {}) });
    seen += page.events.length;
    if (seen % 50_000 < 1000) rss.push(process.memoryUsage().rss / 1048576);
    if (!page.nextAfterPosition) break;
    after = page.nextAfterPosition;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `paging the feed: ${seen.toLocaleString('en-US')} events in ${seconds.toFixed(1)} s (${Math.round(seen / seconds).toLocaleString('en-US')} events/s); RSS MB along the way: ${rss.map((m) => m.toFixed(0)).join(', ')}`,
  );
}

/** What the main process went through during a job: event-loop delay and peak RSS. */
export interface MainProcessWatch {
  /** Stops watching; the words to print, e.g. "event-loop delay p50 10.1 ms, p99 12.3 ms, max 25.0 ms; peak RSS 180 MB". */
  stop(): { p50Ms: number; p99Ms: number; maxMs: number; peakRssMb: number; words: string };
}

/**
 * Watches the event loop (monitorEventLoopDelay, resolution 10 ms: each sample is the time between
 * two runs of a 10 ms timer, so 10 ms on an idle loop, more by as long as synchronous work held it)
 * and samples RSS every 20 ms.
 * Goals of issue 24: max < 100 ms, p99 < 30 ms, RSS <= 400 MB.
 */
export function watchMainProcess(): MainProcessWatch {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  return {
    stop() {
      clearInterval(sampler);
      delay.disable();
      peak = Math.max(peak, process.memoryUsage.rss());
      const p50Ms = delay.percentile(50) / 1e6;
      const p99Ms = delay.percentile(99) / 1e6;
      const maxMs = delay.max / 1e6;
      const peakRssMb = peak / 1048576;
      return {
        p50Ms,
        p99Ms,
        maxMs,
        peakRssMb,
        words: `event-loop delay p50 ${p50Ms.toFixed(1)} ms, p99 ${p99Ms.toFixed(1)} ms, max ${maxMs.toFixed(1)} ms (goals p99 < 30, max < 100); peak RSS ${peakRssMb.toFixed(0)} MB (goal <= 400; ${(before / 1048576).toFixed(0)} MB when the job started)`,
      };
    },
  };
}

/**
 * A bare kafkajs consumer (throwaway group, eachBatch only counting) reading a topic from its
 * start: the floor of any scan that lets kafkajs decode the messages. Its group is deleted after.
 */
export async function bareKafkajsCount(kafka: Kafka, topic: string): Promise<{ messages: number; ms: number; firstBatchMs: number }> {
  const started = performance.now();
  const admin = kafka.admin();
  await admin.connect();
  const total = (await admin.fetchTopicOffsets(topic)).reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  const groupId = `chronoscope-bench-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let firstBatchMs = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (firstBatchMs === 0) firstBatchMs = performance.now() - started;
          seen += batch.messages.length;
          if (seen >= total) resolve();
        },
      })
      .catch(reject);
  });
  const elapsed = performance.now() - started;
  await consumer.disconnect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  return { messages: seen, ms: elapsed, firstBatchMs };
}
