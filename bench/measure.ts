/** Shared measuring for the bench scripts: latency medians and paging a feed to its end. */
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
