import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { ChronoError } from '../../../src-shared/errors';
import { partitionLagMessages } from '../../../src-shared/partition-lag';
import type { KafkaPipelineInput, KafkaPipelineResult, PipelinePoint, PipelineStage } from '../../../src-shared/schemas/kafka';
import type { CheckpointView } from '../../stores/ports/checkpoint-store';
import type { GroupLagHistory } from './lag-history';
import { kafkaSource } from './projector-checkpoints';

/** What a pipeline reading needs from the engine. */
export interface PipelineDeps {
  admin(kafkaConnectionId: string): Promise<Admin>;
  /** Highest global position of the store (null: empty). */
  storeHead(storeConnectionId: string): Promise<string | null>;
  /** The pg pool of a PostgreSQL connection (the outbox); rejects for other kinds. */
  pool(connectionId: string): Promise<pg.Pool>;
  /** Every checkpoint of a connection, through the CheckpointService. */
  checkpoints(connectionId: string): Promise<CheckpointView[]>;
  /** The lag sampler's history: committed and end offsets between our own samples. */
  lagHistory: GroupLagHistory;
}

/** One reading with the partition detail behind it. */
export interface PipelineReading {
  topic: string;
  point: PipelinePoint;
  partitions: KafkaPipelineResult['partitions'];
  notes: Partial<Record<PipelineStage, string>>;
}

export const PIPELINE_MEASURES =
  'Store head: the highest global position in the event store. Relayed: the highest outbox id marked published (outbox rows with published_at set); relay backlog: outbox rows not yet published. ' +
  "Topic end, committed and checkpoint: offsets summed over the topic's partitions (end offsets, the group's committed offsets, the read model's next offset per partition). " +
  'Consumer backlog: messages still in the topic past both the committed offset and the checkpoint (every retained message of a partition with neither); projector backlog: messages the group committed but the read model has not applied.';

/** Reads every stage of the pipeline once. */
export async function readPipeline(deps: PipelineDeps, input: KafkaPipelineInput, now = Date.now()): Promise<PipelineReading> {
  const admin = await deps.admin(input.kafkaConnectionId);
  const topic = input.topic ?? (await onlyTopicOf(admin, input.groupId));
  const [head, outbox, bounds, committed, checkpoints] = await Promise.all([
    deps.storeHead(input.storeConnectionId),
    readOutbox(deps, input.storeConnectionId),
    admin.fetchTopicOffsets(topic).catch(() => {
      throw new ChronoError('not_found', `Topic "${topic}" was not found on this cluster: choose the topic the relay writes.`);
    }),
    admin.fetchOffsets({ groupId: input.groupId, topics: [topic] }),
    readProjectorCheckpoints(deps, input.checkpointConnectionId ?? input.storeConnectionId, input.projection, topic),
  ]);
  const committedOf = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset) >= 0 ? Number(p.offset) : null]));
  const notes: PipelineReading['notes'] = {};
  if (outbox.note) notes.relay = outbox.note;
  if (checkpoints.note) notes.projector = checkpoints.note;
  let topicEnd = 0;
  let committedSum = 0;
  let checkpointSum = 0;
  let consumer = 0;
  let projector = 0;
  const partitions: KafkaPipelineResult['partitions'] = [];
  for (const p of [...bounds].sort((a, b) => a.partition - b.partition)) {
    const end = Number(p.high);
    const low = Number(p.low);
    // A partition the group never committed counts from the log start; so does a missing checkpoint.
    const groupAt = committedOf.get(p.partition) ?? null;
    const checkpointAt = checkpoints.byPartition?.get(p.partition) ?? null;
    // The projector skips what is below its checkpoint: the further of the two is where it reads next.
    const consumed = groupAt === null && checkpointAt === null ? null : Math.max(groupAt ?? low, checkpointAt ?? low);
    topicEnd += end;
    committedSum += groupAt ?? low;
    checkpointSum += checkpointAt ?? low;
    consumer += partitionLagMessages({ committed: consumed, start: low, end });
    if (checkpoints.byPartition) projector += Math.max(0, (groupAt ?? low) - (checkpointAt ?? low));
    partitions.push({
      partition: p.partition,
      end: String(end),
      committed: groupAt === null ? null : String(groupAt),
      checkpoint: checkpointAt === null ? null : String(checkpointAt),
    });
  }
  return {
    topic,
    partitions,
    notes,
    point: {
      at: new Date(now).toISOString(),
      storeHead: head === null ? null : Number(head),
      relayed: outbox.relayed,
      unpublished: outbox.unpublished,
      topicEnd,
      committed: committedSum,
      checkpoint: checkpoints.byPartition ? checkpointSum : null,
      backlog: { relay: outbox.unpublished, consumer, projector: checkpoints.byPartition ? projector : null },
    },
  };
}

async function onlyTopicOf(admin: Admin, groupId: string): Promise<string> {
  const topics = (await admin.fetchOffsets({ groupId })).map((t) => t.topic);
  if (topics.length === 1) return topics[0]!;
  if (topics.length === 0) throw new ChronoError('invalid_input', `Group "${groupId}" has committed no offsets yet: name the topic its projector reads.`);
  throw new ChronoError('invalid_input', `Group "${groupId}" reads ${topics.length} topics (${topics.join(', ')}): choose one.`);
}

/** The reference relay's position: the outbox in the store's PostgreSQL database. */
async function readOutbox(deps: PipelineDeps, connectionId: string): Promise<{ relayed: number | null; unpublished: number | null; note?: string }> {
  const pool = await deps.pool(connectionId).catch(() => undefined);
  if (!pool)
    return { relayed: null, unpublished: null, note: 'The relay position is read from an outbox table in PostgreSQL; this store is not on PostgreSQL.' };
  const { rows } = await pool.query<{ exists: boolean }>("SELECT to_regclass('outbox') IS NOT NULL AS exists");
  if (!rows[0]?.exists) return { relayed: null, unpublished: null, note: 'This database has no outbox table: the relay stage cannot be measured.' };
  // max(id) of published rows walks the primary key backwards past the (few) unpublished ones; the count uses the relay's partial index.
  const { rows: found } = await pool.query<{ relayed: string | null; unpublished: string }>(
    'SELECT (SELECT max(id) FROM outbox WHERE published_at IS NOT NULL) AS relayed, (SELECT count(*) FROM outbox WHERE published_at IS NULL) AS unpublished',
  );
  const row = found[0]!;
  return { relayed: row.relayed === null ? null : Number(row.relayed), unpublished: Number(row.unpublished) };
}

async function readProjectorCheckpoints(
  deps: PipelineDeps,
  connectionId: string,
  projection: string,
  topic: string,
): Promise<{ byPartition?: Map<number, number | null>; note?: string }> {
  let all: CheckpointView[];
  try {
    all = await deps.checkpoints(connectionId);
  } catch (err) {
    return { note: `The read model's checkpoints could not be read: ${(err as Error).message}` };
  }
  const prefix = kafkaSource(topic, 0).slice(0, -1);
  const mine = all.filter((c) => c.role === 'projector' && c.projector === projection && c.source.startsWith(prefix));
  if (mine.length === 0) return { note: `No checkpoint of "${projection}" for topic ${topic} was found: the projector stage cannot be measured.` };
  return { byPartition: new Map(mine.map((c) => [Number(c.source.slice(prefix.length)), c.position === null ? null : Number(c.position)])) };
}

/** The measured window for rates: the last minute of samples. */
export const RATE_WINDOW_MS = 60_000;

/**
 * Where the pipeline is behind and when it catches up. Each stage's rate is how
 * fast its downstream position moved over the window; its ETA is its backlog
 * over how fast that backlog shrank (arrivals included), null when it is not shrinking.
 */
export function assessPipeline(
  reading: PipelineReading,
  history: readonly PipelinePoint[],
  groupId: string,
  projection: string,
): Omit<KafkaPipelineResult, 'partitions' | 'topic' | 'now' | 'measures'> {
  const now = reading.point;
  const nowAt = Date.parse(now.at);
  const window = history.filter((p) => Date.parse(p.at) >= nowAt - RATE_WINDOW_MS && Date.parse(p.at) < nowAt);
  const first = window[0];
  const seconds = first ? (nowAt - Date.parse(first.at)) / 1000 : 0;
  const rate = (a: number | null | undefined, b: number | null | undefined): number | null =>
    first && seconds > 0 && a !== null && a !== undefined && b !== null && b !== undefined ? round((b - a) / seconds) : null;
  // How fast a backlog shrank over the window (arrivals included): positive while draining.
  const drain = (before: number | null | undefined, after: number | null): number | null =>
    first && seconds > 0 && before !== null && before !== undefined && after !== null ? (before - after) / seconds : null;
  const stage = (name: PipelineStage, label: string, backlog: number | null, moved: number | null, drained: number | null) => {
    const etaSeconds = backlog !== null && backlog > 0 && drained !== null && drained > 0 ? Math.ceil(backlog / drained) : null;
    const note = reading.notes[name];
    return { stage: name, label, backlog, ratePerSecond: moved, etaSeconds, ...(note ? { note } : {}) };
  };
  const stages = [
    stage('relay', 'outbox relay', now.backlog.relay, rate(first?.relayed, now.relayed), drain(first?.backlog.relay, now.backlog.relay)),
    stage('consumer', `group ${groupId}`, now.backlog.consumer, rate(first?.committed, now.committed), drain(first?.backlog.consumer, now.backlog.consumer)),
    stage(
      'projector',
      `read model ${projection}`,
      now.backlog.projector,
      rate(first?.checkpoint, now.checkpoint),
      drain(first?.backlog.projector, now.backlog.projector),
    ),
  ];
  const behind = stages.filter((s) => (s.backlog ?? 0) > 0);
  const worst = behind.reduce<(typeof stages)[number] | undefined>((w, s) => (!w || (s.backlog ?? 0) > (w.backlog ?? 0) ? s : w), undefined);
  const etaSeconds = behind.length && behind.every((s) => s.etaSeconds !== null) ? Math.max(...behind.map((s) => s.etaSeconds!)) : null;
  return {
    stages,
    behindAt: worst?.stage ?? null,
    etaSeconds,
    measuredOverSeconds: round(seconds),
    summary: summarize(worst, etaSeconds, seconds),
  };
}

function summarize(
  worst: { stage: PipelineStage; label: string; backlog: number | null; ratePerSecond: number | null; etaSeconds: number | null } | undefined,
  eta: number | null,
  seconds: number,
): string {
  if (!worst) return 'The read model is caught up with the store.';
  const what = {
    relay: 'events stored but not yet published to the topic',
    consumer: 'messages on the topic the group has not consumed',
    projector: 'messages the group consumed that the read model has not applied',
  }[worst.stage];
  const head = `Behind at the ${worst.stage} (${worst.label}): ${worst.backlog} ${what}.`;
  if (seconds === 0) return `${head} Rates need a second sample: keep this view open.`;
  if (worst.ratePerSecond === 0) return `${head} It moved nothing in the last ${Math.round(seconds)} s: is it running?`;
  if (eta === null) return `${head} The backlog is not shrinking at the measured rates.`;
  return `${head} Caught up in about ${formatSeconds(eta)} at the measured rates.`;
}

function formatSeconds(s: number): string {
  if (s < 90) return `${s} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 360) / 10} h`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
