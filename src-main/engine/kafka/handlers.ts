import { ChronoError } from '../../../src-shared/errors';
import { worstPartition } from '../../../src-shared/kafka-lag-series';
import { partitionLagMessages } from '../../../src-shared/partition-lag';
import type { LagPoint, LagStatus, ResetPlanRow } from '../../../src-shared/schemas/kafka';
import type { Handlers } from '../dispatch/dispatcher';
import { worse } from './burrow';
import { brokerVersions, type BrokerVersion } from './broker-version';
import type { KafkaCapability } from './capability';
import { committedOffsets, describeBrokers, describeGroups, describeTopics, topicEnds } from './cluster';
import { withDeletedTopics } from './deleted-topics';
import { assignedTopics, withUncommittedPartitions } from './group-partitions';
import type { GroupSample, GroupLagHistory } from './lag-history';
import type { EventStore } from '../../stores/event-store';
import type { CheckpointStore, CheckpointView } from '../../stores/ports/checkpoint-store';
import type { PipelinePoint } from '../../../src-shared/schemas/kafka';
import { END_SAMPLES, ownersOf, summarize } from './lag-sampler';
import { EXACT_FETCHES_PER_VIEW } from './exact-lag';
import { applyReset, planReset } from './offset-reset';
import { findOutboxGaps } from './outbox-gaps';
import { assessPipeline, PIPELINE_MEASURES, RATE_WINDOW_MS, readPipeline, type PipelineDeps } from './pipeline';
import { readCheckpoints, refuseMovedSinceDryRun, writeCheckpoints } from './projector-checkpoints';
import { recentEventIds } from './recent-event-ids';
import { resolveStoreLink, type StoreLinkDeps } from './store-link';
import { browsePartition } from './topic-browser';
import { recordEnd, timeLag, type EndSample } from './time-lag';

export type KafkaOperation =
  | 'kafka.cluster'
  | 'kafka.groups'
  | 'kafka.group'
  | 'kafka.lagHistory'
  | 'kafka.messages'
  | 'kafka.samplerSettings'
  | 'kafka.configureSampler'
  | 'kafka.resetOffsets'
  | 'kafka.pipeline'
  | 'kafka.pipelineHistory'
  | 'kafka.outboxGaps'
  | 'kafka.storeLink';

/** What the store-to-read-model operations need from other capabilities. */
export interface KafkaStoreDeps {
  eventStore(connectionId: string): Promise<EventStore>;
  /** Every checkpoint of a connection (the CheckpointService). */
  checkpoints(connectionId: string): Promise<CheckpointView[]>;
  /** A connection's CheckpointStore (any layout), where the offset reset moves a projector's checkpoints by compare-and-set. */
  checkpointStore(connectionId: string): Promise<CheckpointStore>;
  /** Connection profiles and their confirmed presets: where a topic's events come from. */
  profiles: Pick<StoreLinkDeps, 'profile' | 'profiles' | 'presetConfirmed'>;
}

const HOUR = 3_600_000;
const NOT_SAMPLED_NOTE = 'Not sampled: the lag sampler reads pinned groups only. Open the group for its state, members and lag.';

/** The Kafka operations: cluster and group views, lag history, sampler settings, offset reset. */
export function kafkaHandlers(kafka: KafkaCapability, stores: KafkaStoreDeps): Pick<Handlers, KafkaOperation> {
  const pipelineDeps: PipelineDeps = {
    admin: (id) => kafka.admin(id),
    storeHead: async (id) => (await stores.eventStore(id)).headPosition(),
    pool: (id) => kafka.pool(id),
    checkpoints: (id) => stores.checkpoints(id),
    lagHistory: kafka.history,
  };
  const storeLinkDeps: StoreLinkDeps = {
    ...stores.profiles,
    groupTopics: async (id, groupId) => [...new Set((await (await kafka.admin(id)).fetchOffsets({ groupId })).map((t) => t.topic))],
    recentEventIds: async (id, topics) => recentEventIds(await kafka.admin(id), await kafka.cluster(id), topics),
    pool: (id) => kafka.pool(id),
  };
  return {
    'kafka.cluster': async ({ connectionId }) => {
      const admin = await kafka.admin(connectionId);
      const [brokers, topics] = await Promise.all([describeBrokers(admin), describeTopics(admin)]);
      const versions = await kafka
        .cluster(connectionId)
        .then((cluster) =>
          brokerVersions(
            cluster,
            brokers.brokers.map((b) => b.nodeId),
          ),
        )
        .catch(() => new Map<number, BrokerVersion>());
      return { ...brokers, brokers: brokers.brokers.map((b) => ({ ...b, ...(versions.has(b.nodeId) ? { version: versions.get(b.nodeId)! } : {}) })), topics };
    },

    // The list answers from the sampler's last tick (which listed and described the groups it sampled):
    // describing a few hundred groups afresh takes longer than a first render may. Before a tick, it reads them now.
    'kafka.groups': async ({ connectionId }) => {
      const settings = await kafka.settings();
      let listing = kafka.sampler.listingOf(connectionId);
      const source = listing ? 'sampler' : 'fresh';
      if (!listing) {
        const admin = await kafka.admin(connectionId);
        const listed = (await admin.listGroups()).groups;
        listing = { at: Date.now(), listed, described: await describeGroups(admin, listed) };
      }
      const summaries = kafka.sampler.summaries(connectionId);
      const pinned = new Set(settings.pinned[connectionId] ?? []);
      const error = kafka.sampler.errorOf(connectionId);
      return {
        groups: listing.listed
          .map((g) => {
            const d = listing.described.get(g.groupId);
            if (!d)
              return {
                groupId: g.groupId,
                protocolType: g.protocolType || 'consumer',
                state: 'Not sampled',
                note: NOT_SAMPLED_NOTE,
                pinned: pinned.has(g.groupId),
              };
            return {
              groupId: g.groupId,
              protocolType: d.protocolType,
              state: d.state,
              ...(d.describable ? { members: d.members.length } : {}),
              ...(d.note ? { note: d.note } : {}),
              ...summaries.get(g.groupId),
              pinned: pinned.has(g.groupId),
            };
          })
          .sort((a, b) => a.groupId.localeCompare(b.groupId)),
        at: new Date(listing.at).toISOString(),
        source,
        sampler: {
          intervalMs: settings.intervalMs,
          scope: settings.scope,
          ...(kafka.sampler.lastTickAt !== undefined ? { lastTickAt: new Date(kafka.sampler.lastTickAt).toISOString() } : {}),
          ...(error ? { lastError: error } : {}),
        },
      };
    },

    'kafka.group': async ({ connectionId, groupId }) => {
      const admin = await kafka.admin(connectionId);
      const settings = await kafka.settings();
      const listed = (await admin.listGroups()).groups.find((g) => g.groupId === groupId);
      const all = await committedOffsets(admin, groupId);
      if (!listed && all.size === 0) throw new ChronoError('not_found', `No consumer group "${groupId}" on this cluster.`);
      const described = (await describeGroups(admin, [{ groupId, protocolType: listed?.protocolType ?? 'consumer' }])).get(groupId)!;
      const { ends, deleted } = await topicEnds(admin, [...new Set([...kafka.groupTopics.topicsOf(connectionId, groupId, all), ...assignedTopics(described)])]);
      // Offsets on a deleted topic are left out and the topic named in the note.
      const { live, deletedTopics } = kafka.groupTopics.split(connectionId, groupId, all, deleted);
      const group = withDeletedTopics(described, deletedTopics);
      const offsets = withUncommittedPartitions(live, ends, group);
      const owners = ownersOf(group);
      const now = Date.now();
      const partitions = [...offsets.entries()]
        .map(([key, entry]) =>
          kafka.sampler.partitionLag(
            entry,
            ends.get(entry.topic)?.find((p) => p.partition === entry.partition),
            kafka.sampler.trackOf(connectionId, groupId, key),
            owners.get(key),
            now,
          ),
        )
        .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
      // The group on screen: its partitions' messages at the committed offsets are read now, within the exact-lag deadline.
      await kafka.exact.refine(connectionId, [{ pinned: true, partitions }], ends, now, EXACT_FETCHES_PER_VIEW);
      const lag = summarize(group, partitions, now, ends);
      return {
        groupId,
        protocolType: lag.protocolType,
        state: lag.state,
        describable: lag.describable,
        ...(lag.note ? { note: lag.note } : {}),
        members: lag.members,
        partitions,
        lag: lag.lag,
        ...(lag.lagSeconds !== undefined ? { lagSeconds: lag.lagSeconds, lagSecondsBasis: lag.lagSecondsBasis } : {}),
        status: lag.status,
        reason: lag.reason,
        pinned: (settings.pinned[connectionId] ?? []).includes(groupId),
      };
    },

    'kafka.lagHistory': async ({ connectionId, groupId, from, to, lastMs, maxPoints }) => {
      const end = to ? Date.parse(to) : Date.now();
      const start = from ? Date.parse(from) : end - (lastMs ?? HOUR);
      if (start > end) throw new ChronoError('invalid_input', 'from: the range must start before it ends.');
      // Read an hour earlier too, so lag in seconds at the range start has end-offset samples to interpolate on.
      // Past a few hours a chart cannot show more than one point a minute: read the minute samples only (older segments keep no more).
      const samples = await kafka.history.read(connectionId, groupId, start - HOUR, end, end - start > 6 * HOUR ? 60_000 : 0);
      const points = lagPoints(samples, maxPoints, start);
      const keys = [...new Set(points.flatMap((p) => Object.keys(p.partitions)))].sort(byPartition);
      return { points, partitions: keys, from: new Date(start).toISOString(), to: new Date(end).toISOString() };
    },

    'kafka.messages': async ({ connectionId, ...request }, context) =>
      browsePartition(await kafka.client(connectionId), await kafka.admin(connectionId), request, context.signal, (messages, next) =>
        context.emit({ messages, next }),
      ),

    'kafka.pipeline': async (input) => {
      const reading = await readPipeline(pipelineDeps, input);
      const now = Date.parse(reading.point.at);
      let window = await kafka.pipelineHistory.read(input, reading.topic, now - RATE_WINDOW_MS, now - 1);
      // Before this view has two samples of its own, the lag sampler's history gives the Kafka stages their rates.
      if (window.length === 0)
        window = await consumerPointsFromLagHistory(kafka.history, input.kafkaConnectionId, input.groupId, reading.topic, now - RATE_WINDOW_MS, now - 1);
      await kafka.pipelineHistory.append(input, reading.topic, reading.point);
      return {
        topic: reading.topic,
        now: reading.point,
        partitions: reading.partitions,
        ...assessPipeline(reading, window, input.groupId, input.projection),
        measures: PIPELINE_MEASURES,
      };
    },

    'kafka.pipelineHistory': async ({ lastMs, maxPoints, ...input }) => {
      const now = Date.now();
      const topic = input.topic ?? (await readPipeline(pipelineDeps, input, now)).topic;
      return { points: await kafka.pipelineHistory.read(input, topic, now - lastMs, now, maxPoints) };
    },

    'kafka.outboxGaps': async ({ storeConnectionId, kafkaConnectionId, ...request }, context) =>
      findOutboxGaps(
        await stores.eventStore(storeConnectionId),
        await kafka.client(kafkaConnectionId),
        await kafka.admin(kafkaConnectionId),
        request,
        context.signal,
        (p) => context.progress(p),
      ),

    'kafka.storeLink': (input) => resolveStoreLink(storeLinkDeps, input),

    'kafka.samplerSettings': () => kafka.settings(),
    'kafka.configureSampler': ({ reason: _reason, ...change }) => kafka.configure(change),

    'kafka.resetOffsets': async ({ connectionId, groupId, strategy, scope, checkpoints, dryRun }, context) => {
      const freshClusterOnFailure = async <T>(run: () => Promise<T>): Promise<T> => {
        try {
          return await run();
        } catch (err) {
          // A driver failure may leave the Cluster's metadata stale: the next reset opens a fresh one.
          if (!(err instanceof ChronoError)) await kafka.resetCluster(connectionId);
          throw err;
        }
      };
      const admin = await kafka.admin(connectionId);
      const cluster = await kafka.cluster(connectionId);
      const outcome = await freshClusterOnFailure(() => planReset(admin, cluster, { groupId, strategy, scope }));
      // A real run applies the offsets the user confirmed (the dispatcher checked that each partition still starts where it did).
      const confirmed = (context.confirmed as { plan?: ResetPlanRow[] } | undefined)?.plan;
      if (!dryRun && confirmed)
        outcome.plan = outcome.plan.map((row) => ({
          ...row,
          next: confirmed.find((c) => c.topic === row.topic && c.partition === row.partition)?.next ?? row.next,
        }));
      const store = checkpoints
        ? await stores.checkpointStore(checkpoints.connectionId).catch((err: unknown) => {
            if (!(err instanceof ChronoError) || err.code !== 'not_found') throw err;
            throw new ChronoError(
              'not_found',
              `The projector's checkpoints cannot be found on the chosen connection: ${err.message} (or map its checkpoint table on the Checkpoints screen). Nothing was moved.`,
              { connectionId: checkpoints.connectionId },
            );
          })
        : undefined;
      let current = new Map<string, CheckpointView | null>();
      if (store && checkpoints) {
        current = await readCheckpoints(store, checkpoints.projection, outcome.plan).catch((err: unknown) => {
          throw new ChronoError(
            'invalid_input',
            `The projector's checkpoints could not be read (${store.sources().join(', ')}): ${(err as Error).message}. Choose the connection of the projector's read model.`,
          );
        });
        outcome.plan = outcome.plan.map((row) => ({ ...row, checkpoint: current.get(`${row.topic}:${row.partition}`)?.position ?? null }));
        const note = `Projector "${checkpoints.projection}" skips messages below its own checkpoint (${store.sources().join(', ')}); its checkpoints are set to the same new offsets, each only if it has not moved since it was read.`;
        outcome.note = outcome.note ? `${outcome.note} ${note}` : note;
      }
      if (dryRun) return { applied: false, ...outcome };
      // A projector that moved its checkpoints since the confirmed dry run is running: nothing is moved.
      if (store && checkpoints && confirmed) refuseMovedSinceDryRun(checkpoints.projection, confirmed, current);
      const moveOffsets = () => freshClusterOnFailure(() => applyReset(admin, cluster, groupId, outcome));
      // The checkpoints are set first, by compare-and-set, and the offsets moved inside the same transaction:
      // a projector that moves meanwhile, or offsets Kafka refuses, leave both where they were (PostgreSQL).
      if (store && checkpoints) await writeCheckpoints(store, checkpoints.projection, outcome.plan, current, moveOffsets);
      else await moveOffsets();
      // The windows before the reset would read as a REWIND the operator asked for.
      kafka.sampler.forgetGroup(connectionId, groupId);
      return { applied: true, ...outcome, activeMembers: [] };
    },
  };
}

/**
 * Chart points of a sampled range: at most `max`, evenly spaced from `from`
 * on, each with the worst status of the samples it stands for. Lag in seconds
 * is interpolated on the history's own end offsets, which every sample feeds
 * (samples before `from` too), but computed only at the points kept. Each
 * point names its worst partition in seconds: the history keeps every
 * partition's offsets, so old samples give it as well as new ones.
 */
export function lagPoints(samples: readonly GroupSample[], max: number, from = Number.NEGATIVE_INFINITY): LagPoint[] {
  const ends = new Map<string, EndSample[]>();
  const first = samples.findIndex((s) => s.at >= from);
  if (first < 0) return [];
  const shown = samples.length - first;
  const step = Math.max(1, shown / max);
  const points: LagPoint[] = [];
  let bucket = 0;
  let status: LagStatus = 'OK';
  for (let i = 0; i < samples.length; i += 1) {
    const sample = samples[i]!;
    for (const p of sample.partitions) {
      let table = ends.get(p.key);
      if (!table) ends.set(p.key, (table = []));
      recordEnd(table, p.end, sample.at, END_SAMPLES);
    }
    if (i < first) continue;
    status = worse(status, sample.status);
    // The last sample of each bucket stands for it.
    const index = i - first;
    const closes = index === shown - 1 || Math.floor((index + 1) / step) > bucket;
    if (!closes) continue;
    bucket = Math.floor((index + 1) / step);
    const partitions: LagPoint['partitions'] = {};
    for (const p of sample.partitions) {
      const lag = sampledLag(p);
      const seconds = p.committed === null ? undefined : timeLag(ends.get(p.key)!, p.committed, sample.at).seconds;
      partitions[p.key] = { lag, ...(seconds !== undefined ? { seconds: Math.round(seconds * 10) / 10 } : {}) };
    }
    const worst = worstPartition(partitions);
    points.push({ at: new Date(sample.at).toISOString(), partitions, ...(worst ? { worst } : {}), status });
    status = 'OK';
  }
  return points;
}

/**
 * Pipeline points with only the Kafka stages (topic end, committed offsets,
 * consumer backlog), from the lag sampler's samples of the group.
 */
async function consumerPointsFromLagHistory(
  history: GroupLagHistory,
  connectionId: string,
  groupId: string,
  topic: string,
  from: number,
  to: number,
): Promise<PipelinePoint[]> {
  const samples = await history.read(connectionId, groupId, from, to);
  const prefix = `${topic}:`;
  return samples.map((sample) => {
    const mine = sample.partitions.filter((p) => p.key.startsWith(prefix));
    const topicEnd = mine.reduce((sum, p) => sum + p.end, 0);
    // A partition without a commit counts from its log start, as readPipeline does.
    const committed = mine.reduce((sum, p) => sum + (p.committed ?? p.start ?? 0), 0);
    const consumer = mine.reduce((sum, p) => sum + sampledLag(p), 0);
    return {
      at: new Date(sample.at).toISOString(),
      storeHead: null,
      relayed: null,
      unpublished: null,
      topicEnd,
      committed,
      checkpoint: null,
      backlog: { relay: null, consumer, projector: null },
    };
  });
}

/**
 * A sampled partition's lag by the one rule. History written before log
 * starts were recorded has none: its log is taken to start at 0.
 */
function sampledLag(p: GroupSample['partitions'][number]): number {
  return partitionLagMessages({ committed: p.committed, start: p.start ?? 0, end: p.end });
}

function byPartition(a: string, b: string): number {
  const [ta, pa] = splitKey(a);
  const [tb, pb] = splitKey(b);
  return ta.localeCompare(tb) || pa - pb;
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf(':');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}
