/**
 * Bytes on disk of one day of lag history in the one format every lag history
 * keeps (lag/segment-history.ts), beside one JSON line per sample (how the
 * projector and pipeline histories were kept before), sampled every 5 s:
 *
 *   node --import tsx bench/lag-history-formats.ts [--partitions 100]
 *
 * "Full" is the day at full resolution; "kept" is what the retention of every
 * lag history leaves at the end of the day (the last hour as sampled, one
 * sample a minute before it).
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ProjectorLagHistory } from '../src-main/engine/checkpoints/lag-history';
import { GroupLagHistory, type GroupSample } from '../src-main/engine/kafka/lag-history';
import { retainSamples } from '../src-main/engine/lag/retention';
import { SegmentHistory } from '../src-main/engine/lag/segment-history';
import type { LagSample } from '../src-shared/schemas/checkpoints';

const { values } = parseArgs({ options: { partitions: { type: 'string', default: '100' } } });
const partitions = Number(values.partitions);
const INTERVAL_MS = 5000;
const TICKS = 86_400_000 / INTERVAL_MS;
const t0 = Date.UTC(2026, 0, 1);
const dayEnd = t0 + (TICKS - 1) * INTERVAL_MS;

let seed = 42;
/** mulberry32: irregular traffic, the hard case for compression. */
const random = (n: number) => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) % n;
};

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

async function jsonLines<T>(file: string, records: T[], timeOf: (r: T) => number): Promise<{ full: number; kept: number }> {
  await writeFile(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  const full = (await stat(file)).size;
  await writeFile(
    file,
    retainSamples(records, timeOf, dayEnd)
      .map((r) => `${JSON.stringify(r)}\n`)
      .join(''),
  );
  return { full, kept: (await stat(file)).size };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'chrono-bench-formats-'));
  // A Kafka group of `partitions` partitions: ends move by 0-100 messages a tick, the group follows a little slower.
  const group = new GroupLagHistory(join(dir, 'segments'));
  const end = Array.from({ length: partitions }, () => 1_000_000);
  const committed = [...end];
  const samples: GroupSample[] = [];
  let groupHour = 0;
  for (let i = 0; i < TICKS; i += 1) {
    for (let p = 0; p < partitions; p += 1) {
      end[p]! += random(101);
      committed[p] = Math.min(end[p]!, committed[p]! + random(101));
    }
    const sample: GroupSample = {
      at: t0 + i * INTERVAL_MS,
      status: 'OK',
      partitions: end.map((e, p) => ({ key: `orders:${p}`, committed: committed[p]!, end: e, start: 0 })),
    };
    samples.push(sample);
    await group.append('bench', 'g', sample);
    // After the first hour: its six segments closed, none thinned yet (the full-resolution cost of an hour).
    if (i === 3_600_000 / INTERVAL_MS - 1) {
      await group.compact(t0 + 3_600_000);
      groupHour = await group.bytes();
    }
  }
  const groupFull = groupHour * 24;
  await group.compact(dayEnd);
  const groupKept = await group.bytes();
  // The compact JSON form (arrays, no field names), as the projector history kept its lines.
  const groupLines = await jsonLines(
    join(dir, 'group.ndjson'),
    samples.map((s) => [s.at, s.status, s.partitions.map((p) => [p.key, p.committed, p.end, p.start])] as const),
    (l) => l[0],
  );
  console.log(`Kafka group, ${partitions} partitions, a day at ${INTERVAL_MS / 1000} s (${TICKS} samples):`);
  console.log(`  segments:         full ${mb(groupFull)} (24 x the first hour), kept ${mb(groupKept)}`);
  console.log(`  a JSON line each: full ${mb(groupLines.full)}, kept ${mb(groupLines.kept)}`);

  // A projector checkpoint: position and head as text, lag in events and ms.
  const projector = new ProjectorLagHistory(join(dir, 'checkpoints'));
  const key = { store: 'projection_checkpoints', projector: 'orders_view', source: 'events' };
  const lines: [number, string, string, number, 0 | 1, number][] = [];
  const checkpoints = new SegmentHistory(join(dir, 'checkpoints')); // for its byte count only
  let projectorHour = 0;
  let head = 5_000_000;
  let position = head;
  for (let i = 0; i < TICKS; i += 1) {
    head += random(200);
    position = Math.min(head, position + random(200));
    const sample: LagSample = {
      at: new Date(t0 + i * INTERVAL_MS).toISOString(),
      position: String(position),
      head: String(head),
      lagEvents: head - position,
      estimated: false,
      lagMs: (head - position) * 7,
    };
    lines.push([t0 + i * INTERVAL_MS, sample.position!, sample.head!, sample.lagEvents!, 0, sample.lagMs!]);
    await projector.append('bench', [{ key, sample }]);
    if (i === 3_600_000 / INTERVAL_MS - 1) {
      await projector.compact(t0 + 3_600_000);
      projectorHour = await checkpoints.bytes();
    }
  }
  await projector.compact(dayEnd);
  const projectorFull = projectorHour * 24;
  const projectorKept = await checkpoints.bytes();
  const projectorLines = await jsonLines(join(dir, 'checkpoint.ndjson'), lines, (l) => l[0]);
  console.log(`Projector checkpoint, a day at ${INTERVAL_MS / 1000} s:`);
  console.log(`  segments:         full ${mb(projectorFull)} (24 x the first hour), kept ${mb(projectorKept)}`);
  console.log(`  a JSON line each: full ${mb(projectorLines.full)}, kept ${mb(projectorLines.kept)}`);
  await rm(dir, { recursive: true, force: true });
}

void main();
