import { ChronoError } from '../../../src-shared/errors';
import type { LagPoint, LagStatus } from '../../../src-shared/schemas/kafka';
import type { Handlers } from '../../transport/dispatcher';
import { worse } from './burrow';
import type { KafkaCapability } from './capability';
import { committedOffsets, describeBrokers, describeGroups, describeTopics, endOffsets } from './cluster';
import type { GroupSample } from './lag-history';
import { ownersOf, summarize } from './lag-sampler';
import { applyReset, planReset } from './offset-reset';
import { timeLag, type EndSample } from './time-lag';

export type KafkaOperation = 'kafka.cluster' | 'kafka.group' | 'kafka.lagHistory' | 'kafka.samplerSettings' | 'kafka.configureSampler' | 'kafka.resetOffsets';

const HOUR = 3_600_000;

/** The Kafka operations: cluster and group views, lag history, sampler settings, offset reset. */
export function kafkaHandlers(kafka: KafkaCapability): Pick<Handlers, KafkaOperation> {
  return {
    'kafka.cluster': async ({ connectionId }) => {
      const admin = await kafka.admin(connectionId);
      const settings = await kafka.settings();
      const [brokers, topics, listed] = await Promise.all([describeBrokers(admin), describeTopics(admin), admin.listGroups()]);
      const described = await describeGroups(admin, listed.groups);
      const summaries = kafka.sampler.summaries(connectionId);
      const pinned = new Set(settings.pinned[connectionId] ?? []);
      const error = kafka.sampler.errorOf(connectionId);
      return {
        ...brokers,
        topics,
        groups: listed.groups
          .map((g) => {
            const d = described.get(g.groupId)!;
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
      const offsets = await committedOffsets(admin, groupId);
      if (!listed && offsets.size === 0) throw new ChronoError('not_found', `No consumer group "${groupId}" on this cluster.`);
      const group = (await describeGroups(admin, [{ groupId, protocolType: listed?.protocolType ?? 'consumer' }])).get(groupId)!;
      const ends = await endOffsets(admin, [...new Set([...offsets.values()].map((o) => o.topic))]);
      const owners = ownersOf(group);
      const now = Date.now();
      const partitions = [...offsets.entries()]
        .map(([key, entry]) => kafka.sampler.partitionLag(entry, ends.get(entry.topic)?.find((p) => p.partition === entry.partition), kafka.sampler.trackOf(connectionId, groupId, key), owners.get(key), now))
        .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
      const lag = summarize(group, partitions, now);
      return {
        groupId,
        protocolType: lag.protocolType,
        state: lag.state,
        describable: lag.describable,
        ...(lag.note ? { note: lag.note } : {}),
        members: lag.members,
        partitions,
        lag: lag.lag,
        ...(lag.lagSeconds !== undefined ? { lagSeconds: lag.lagSeconds } : {}),
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
      const samples = await kafka.history.read(connectionId, groupId, start - HOUR, end);
      const points = lagPoints(samples).filter((p) => Date.parse(p.at) >= start);
      const keys = [...new Set(points.flatMap((p) => Object.keys(p.partitions)))].sort(byPartition);
      return { points: thin(points, maxPoints), partitions: keys, from: new Date(start).toISOString(), to: new Date(end).toISOString() };
    },

    'kafka.samplerSettings': () => kafka.settings(),
    'kafka.configureSampler': ({ reason: _reason, ...change }) => kafka.configure(change),

    'kafka.resetOffsets': async ({ connectionId, groupId, strategy, scope, dryRun }) => {
      const admin = await kafka.admin(connectionId);
      const outcome = await planReset(admin, { groupId, strategy, scope });
      if (dryRun) return { applied: false, ...outcome };
      await applyReset(admin, groupId, outcome);
      // The windows before the reset would read as a REWIND the operator asked for.
      kafka.sampler.forgetGroup(connectionId, groupId);
      return { applied: true, ...outcome, activeMembers: [] };
    },
  };
}

/** Lag in messages and seconds at each sample, the seconds interpolated on the history's own end offsets. */
export function lagPoints(samples: readonly GroupSample[]): LagPoint[] {
  const ends = new Map<string, EndSample[]>();
  return samples.map((sample) => {
    const partitions: LagPoint['partitions'] = {};
    for (const p of sample.partitions) {
      let table = ends.get(p.key);
      if (!table) ends.set(p.key, (table = []));
      if (table[table.length - 1]?.offset !== p.end) table.push({ offset: p.end, at: sample.at });
      if (table.length > 720) table.shift();
      const lag = p.committed === null ? 0 : Math.max(0, p.end - p.committed);
      const seconds = p.committed === null ? undefined : timeLag(table, p.committed, sample.at).seconds;
      partitions[p.key] = { lag, ...(seconds !== undefined ? { seconds: Math.round(seconds * 10) / 10 } : {}) };
    }
    return { at: new Date(sample.at).toISOString(), partitions, status: sample.status };
  });
}

/** At most `max` points, evenly spaced; each kept point carries the worst status of those it stands for. */
function thin(points: LagPoint[], max: number): LagPoint[] {
  if (points.length <= max) return points;
  const step = points.length / max;
  const kept: LagPoint[] = [];
  for (let i = 0; i < max; i += 1) {
    const bucket = points.slice(Math.floor(i * step), Math.floor((i + 1) * step));
    const last = bucket[bucket.length - 1];
    if (!last) continue;
    const status = bucket.reduce<LagStatus>((s, p) => worse(s, p.status), 'OK');
    kept.push({ ...last, status });
  }
  return kept;
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


