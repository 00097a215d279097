import type pg from 'pg';
import { ChronoError } from '../../../src-shared/errors';
import type { ConnectionView, KafkaPipelineLink } from '../../../src-shared/schemas/connections';
import type { KafkaStoreLinkResult } from '../../../src-shared/schemas/kafka';

/** What resolving a Kafka topic's event store needs from the engine. */
export interface StoreLinkDeps {
  profile(connectionId: string): Promise<ConnectionView>;
  profiles(): Promise<ConnectionView[]>;
  /** Whether an event-store preset is confirmed for the connection (browse reads through it). */
  presetConfirmed(connectionId: string): Promise<boolean>;
  /** The topics a group committed offsets on. */
  groupTopics(kafkaConnectionId: string, groupId: string): Promise<string[]>;
  /** Event ids of the newest messages on the topics. */
  recentEventIds(kafkaConnectionId: string, topics: string[]): Promise<string[]>;
  /** The pg pool of a PostgreSQL connection. */
  pool(connectionId: string): Promise<pg.Pool>;
}

export interface StoreLinkRequest {
  connectionId: string;
  topic?: string | undefined;
  groupId?: string | undefined;
}

/**
 * The event store a topic's events come from: the one declared on the Kafka
 * profile (for this topic), else the one whose outbox published the topic's
 * newest messages, if exactly one did. Anything else is a question for the
 * user: a store is never picked by guessing.
 */
export async function resolveStoreLink(deps: StoreLinkDeps, request: StoreLinkRequest): Promise<KafkaStoreLinkResult> {
  const kafka = await deps.profile(request.connectionId);
  if (kafka.kind !== 'kafka') throw new ChronoError('invalid_input', `"${kafka.name}" is not a Kafka connection.`);
  const topics = request.topic ? [request.topic] : request.groupId ? await deps.groupTopics(kafka.id, request.groupId) : [];
  const stores = (await deps.profiles()).filter((p) => p.kind !== 'kafka');
  const confirmed = new Map(await Promise.all(stores.map(async (s) => [s.id, await deps.presetConfirmed(s.id).catch(() => false)] as const)));
  const choice = (s: ConnectionView) => ({ connectionId: s.id, name: s.name, presetConfirmed: confirmed.get(s.id) ?? false });

  const declared = kafka.pipeline && covers(kafka.pipeline, topics) ? stores.find((s) => s.id === kafka.pipeline!.eventStoreProfileId) : undefined;
  if (declared) {
    return {
      topics,
      linked: { ...choice(declared), how: 'declared', evidence: `Linked to the "${kafka.name}" connection.` },
      candidates: stores.map((s) => ({ ...choice(s), detected: false })),
      question: null,
    };
  }
  const detected = topics.length ? await detect(deps, kafka.id, topics, stores) : new Set<string>();
  const candidates = stores.map((s) => ({ ...choice(s), detected: detected.has(s.id) }));
  const found = stores.filter((s) => detected.has(s.id));
  if (found.length === 1) {
    const evidence = `Its outbox published the newest messages of ${topics.join(', ')} on this cluster.`;
    return { topics, linked: { ...choice(found[0]!), how: 'detected', evidence }, candidates, question: null };
  }
  const what = topics.length ? `the events on ${topics.join(', ')}` : "this cluster's events";
  const question =
    found.length > 1
      ? `The outboxes of ${found.map((s) => `"${s.name}"`).join(' and ')} both published ${what}: choose the store they come from.`
      : kafka.pipeline && !stores.some((s) => s.id === kafka.pipeline!.eventStoreProfileId)
        ? `The event store linked to "${kafka.name}" no longer exists: choose the store ${what} come from.`
        : `No event store is linked to "${kafka.name}"${kafka.pipeline ? ` for ${topics.join(', ')}` : ''}: choose the store ${what} come from.`;
  return { topics, linked: null, candidates, question };
}

/** Outbox rows looked at: the newest messages of a live topic were published among the last of them. */
const RECENT_OUTBOX_ROWS = 10_000;

function covers(link: KafkaPipelineLink, topics: readonly string[]): boolean {
  return !link.topics || topics.every((t) => link.topics!.includes(t));
}

/** The PostgreSQL stores whose reference outbox (`outbox(id, event_id, topic, published_at)`) published any of the newest messages' events to these topics. */
async function detect(deps: StoreLinkDeps, kafkaId: string, topics: string[], stores: ConnectionView[]): Promise<Set<string>> {
  const ids = await deps.recentEventIds(kafkaId, topics).catch(() => []);
  if (!ids.length) return new Set();
  const postgres = stores.filter((s) => s.kind === 'postgres' && !s.needsSecret);
  const hits = await Promise.all(postgres.map(async (s) => ((await publishedFromOutbox(deps, s.id, topics, ids).catch(() => false)) ? s.id : undefined)));
  return new Set(hits.filter((id): id is string => id !== undefined));
}

async function publishedFromOutbox(deps: StoreLinkDeps, storeId: string, topics: string[], eventIds: string[]): Promise<boolean> {
  const pool = await deps.pool(storeId);
  const { rows: columns } = await pool.query<{ n: string }>(
    "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'outbox' AND column_name IN ('id', 'event_id', 'topic', 'published_at')",
  );
  if (Number(columns[0]?.n) !== 4) return false;
  // The newest published rows only, walked down the primary key: the relay publishes in id order.
  const { rows } = await pool.query<{ found: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM (SELECT event_id, topic FROM outbox WHERE published_at IS NOT NULL ORDER BY id DESC LIMIT ${RECENT_OUTBOX_ROWS}) recent
       WHERE topic = ANY($1::text[]) AND event_id::text = ANY($2::text[])
     ) AS found`,
    [topics, eventIds],
  );
  return rows[0]?.found === true;
}
