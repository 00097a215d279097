import type { Admin } from 'kafkajs';
import type { KafkaGroupSummary, KafkaSamplerSettings, LagStatus, PartitionLag } from '../../../src-shared/schemas/kafka';
import { partitionLagMessages } from '../../../src-shared/partition-lag';
import { evaluateGroup, evaluatePartition, WINDOW_SIZE, type CommitEntry, type Verdict } from './burrow';
import { committedOffsets, describeGroups, partitionKey, topicEnds, type GroupDescription, type PartitionOffsets } from './cluster';
import { withDeletedTopics, type GroupTopics } from './deleted-topics';
import { assignedTopics, withUncommittedPartitions } from './group-partitions';
import type { ExactLag } from './exact-lag';
import { SamplingLoop } from '../lag/sampling-loop';
import type { GroupLagHistory } from './lag-history';
import { recordEnd, timeLag, type EndSample } from './time-lag';

/** End-offset samples kept per partition for lag in seconds (an hour at the default 5 s). */
export const END_SAMPLES = 720;

/** The groups a tick listed (all of them) and described (the sampled ones), for the groups list. */
export interface GroupListing {
  at: number;
  listed: { groupId: string; protocolType: string }[];
  described: Map<string, GroupDescription>;
}

/** What the sampler remembers of one partition of one group between ticks. */
export interface PartitionTrack {
  window: CommitEntry[];
  ends: EndSample[];
  /** The end offset at each of the last WINDOW_SIZE ticks, changed or not: Burrow's broker offsets, which hold off STOP. */
  recentEnds: number[];
  lastCommitted: number | null;
}

/** A group's lag as of the last sample. */
export interface GroupLag {
  at: number;
  groupId: string;
  protocolType: string;
  state: string;
  describable: boolean;
  note?: string;
  members: GroupDescription['members'];
  partitions: PartitionLag[];
  lag: number;
  lagSeconds?: number;
  /** How the worst partition's lagSeconds was found. */
  lagSecondsBasis?: PartitionLag['lagSecondsBasis'];
  status: LagStatus;
  reason: string;
}

export interface SamplerDeps {
  history: GroupLagHistory;
  settings(): KafkaSamplerSettings;
  /** Ids of the saved Kafka connection profiles. */
  kafkaConnections(): Promise<string[]>;
  admin(connectionId: string): Promise<Admin>;
  /** The topics each group committed on, so a deleted one is named instead of failing the group. */
  groupTopics: GroupTopics;
  /** Reads the message at committed offsets for exact lag in seconds; without it every figure is interpolated. */
  exact?: ExactLag;
  now?: () => number;
  log?: (message: string) => void;
}

/**
 * Samples committed and end offsets of every group (or the pinned ones) of every
 * Kafka connection, one request round per tick: group list, one DescribeGroups,
 * the groups' OffsetFetch side by side, then each topic's ListOffsets side by
 * side. Each tick feeds the Burrow windows, the time-lag tables and the history.
 */
export class GroupLagSampler {
  private readonly tracks = new Map<string, PartitionTrack>();
  private readonly latest = new Map<string, Map<string, GroupLag>>();
  private readonly listings = new Map<string, GroupListing>();
  private readonly errors = new Map<string, string>();
  private readonly loop: SamplingLoop;
  private lastCompaction = 0;
  lastTickAt: number | undefined;
  lastTickMs = 0;

  constructor(private readonly deps: SamplerDeps) {
    this.loop = new SamplingLoop({
      round: () => this.tick(),
      intervalMs: () => this.deps.settings().intervalMs,
      onError: (err) => this.deps.log?.(`Kafka lag sampling failed: ${(err as Error).message}`),
    });
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** Starts sampling at once: restored pins and a fresh list answer right after a restart. */
  start(): void {
    this.loop.start(0);
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** The interval setting changed: a wait under way starts over with it. */
  intervalChanged(): void {
    this.loop.intervalChanged();
  }

  /** Runs a tick now (after any tick under way), e.g. for a test waiting on a condition. */
  tickNow(): Promise<void> {
    return this.loop.runNow();
  }

  async tick(): Promise<void> {
    const started = performance.now();
    const connections = await this.deps.kafkaConnections().catch(() => [] as string[]);
    await Promise.all(connections.map((id) => this.sampleConnection(id)));
    const now = this.now();
    this.lastTickAt = now;
    this.lastTickMs = performance.now() - started;
    if (now - this.lastCompaction > 3_600_000) {
      this.lastCompaction = now;
      await this.deps.history.compact(now).catch((err: unknown) => this.deps.log?.(`Lag history compaction failed: ${(err as Error).message}`));
    }
  }

  errorOf(connectionId: string): string | undefined {
    return this.errors.get(connectionId);
  }

  latestOf(connectionId: string): Map<string, GroupLag> {
    return this.latest.get(connectionId) ?? new Map();
  }

  /** The groups the last successful tick of a connection listed and described. */
  listingOf(connectionId: string): GroupListing | undefined {
    return this.listings.get(connectionId);
  }

  /** The windows and end samples of a group's partitions, read by on-demand views. */
  trackOf(connectionId: string, groupId: string, key: string): PartitionTrack | undefined {
    return this.tracks.get(trackId(connectionId, groupId, key));
  }

  /** Forgets a group's windows, e.g. after its offsets were reset on purpose. */
  forgetGroup(connectionId: string, groupId: string): void {
    const prefix = trackId(connectionId, groupId, '');
    for (const id of [...this.tracks.keys()]) if (id.startsWith(prefix)) this.tracks.delete(id);
  }

  private async sampleConnection(connectionId: string): Promise<void> {
    try {
      const admin = await this.deps.admin(connectionId);
      const settings = this.deps.settings();
      const listed = (await admin.listGroups()).groups;
      const pinned = new Set(settings.pinned[connectionId] ?? []);
      const groups = settings.scope === 'all' ? listed : listed.filter((g) => pinned.has(g.groupId));
      const described = await describeGroups(admin, groups);
      const committed = await Promise.all(groups.map(async (g) => [g.groupId, await committedOffsets(admin, g.groupId).catch(() => new Map())] as const));
      const topics = new Set<string>();
      for (const [groupId, offsets] of committed)
        for (const topic of [...this.deps.groupTopics.topicsOf(connectionId, groupId, offsets), ...assignedTopics(described.get(groupId))]) topics.add(topic);
      const { ends, deleted } = await topicEnds(admin, [...topics]);
      this.deps.groupTopics.retain(
        connectionId,
        listed.map((g) => g.groupId),
      );
      const now = this.now();
      const observed: GroupLag[] = [];
      for (const [groupId, all] of committed) {
        // A deleted topic's offsets are left out and named in the group's note.
        const { live, deletedTopics } = this.deps.groupTopics.split(connectionId, groupId, all, deleted);
        described.set(groupId, withDeletedTopics(described.get(groupId)!, deletedTopics));
        const offsets = withUncommittedPartitions(live, ends, described.get(groupId));
        const lag = this.observe(connectionId, described.get(groupId)!, offsets, ends, now);
        observed.push(lag);
        await this.deps.history.append(connectionId, groupId, {
          at: now,
          status: lag.status,
          partitions: lag.partitions.map((p) => {
            const start = ends.get(p.topic)?.find((b) => b.partition === p.partition)?.start;
            return {
              key: partitionKey(p.topic, p.partition),
              committed: p.committed === null ? null : Number(p.committed),
              end: Number(p.end),
              ...(start !== undefined ? { start } : {}),
            };
          }),
        });
      }
      // Exact seconds for what can be read cheaply this tick (pinned groups first, then the worst lag); the rest stay interpolated.
      await this.deps.exact?.refine(
        connectionId,
        observed.map((lag) => ({ pinned: pinned.has(lag.groupId), partitions: lag.partitions })),
        ends,
        now,
      );
      const results = new Map<string, GroupLag>();
      for (const lag of observed) results.set(lag.groupId, summarize(described.get(lag.groupId)!, lag.partitions, now, ends));
      this.latest.set(connectionId, results);
      this.listings.set(connectionId, { at: now, listed, described });
      this.errors.delete(connectionId);
    } catch (err) {
      this.errors.set(connectionId, (err as Error).message);
    }
  }

  /** Feeds one sample of a group into its partitions' windows and evaluates them. */
  observe(
    connectionId: string,
    group: GroupDescription,
    offsets: Map<string, { topic: string; partition: number; committed: number | null }>,
    ends: Map<string, PartitionOffsets[]>,
    now: number,
  ): GroupLag {
    const owners = ownersOf(group);
    const partitions: PartitionLag[] = [];
    for (const [key, entry] of offsets) {
      const bounds = ends.get(entry.topic)?.find((p) => p.partition === entry.partition);
      const id = trackId(connectionId, group.groupId, key);
      let track = this.tracks.get(id);
      if (!track) this.tracks.set(id, (track = { window: [], ends: [], recentEnds: [], lastCommitted: null }));
      if (bounds) {
        recordEnd(track.ends, bounds.end, now, END_SAMPLES);
        recordRecentEnd(track.recentEnds, bounds.end);
      }
      const owner = owners.get(key);
      const lag = lagOf(entry.committed, bounds);
      // Kafka does not report when a group committed: a moved offset is a commit, and a live owner is taken to be committing.
      // A partition nobody owns adds nothing while its offset stays: its last commit ages, and STOP can tell.
      if (entry.committed !== null && (entry.committed !== track.lastCommitted || owner !== undefined)) {
        track.window.push({ offset: entry.committed, at: now, lag });
        if (track.window.length > WINDOW_SIZE) track.window.splice(0, track.window.length - WINDOW_SIZE);
      }
      track.lastCommitted = entry.committed;
      partitions.push(this.partitionLag(entry, bounds, track, owner, now));
    }
    partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    return summarize(group, partitions, now, ends);
  }

  /** A partition's lag, time lag and verdict from its track, without recording anything. */
  partitionLag(
    entry: { topic: string; partition: number; committed: number | null },
    bounds: PartitionOffsets | undefined,
    track: PartitionTrack | undefined,
    owner: string | undefined,
    now: number,
  ): PartitionLag {
    const end = bounds?.end ?? 0;
    const committed = entry.committed;
    const lag = lagOf(committed, bounds);
    const outOfRange = !bounds
      ? `The topic ${entry.topic} or its partition ${entry.partition} no longer exists, yet the group has an offset for it.`
      : committed !== null && committed > end
        ? `The committed offset ${committed} is past the end of the log (${end}): the consumer will reset by its auto.offset.reset policy.`
        : committed !== null && committed < bounds.start
          ? `The committed offset ${committed} was deleted by retention (log starts at ${bounds.start}): the consumer will reset by its auto.offset.reset policy.`
          : undefined;
    const verdict: Verdict =
      committed === null && bounds
        ? {
            status: 'OK',
            reason:
              lag > 0 ? `No committed offset: the ${lag} messages in the partition count as unread.` : 'No committed offset, and no message in the partition.',
          }
        : evaluatePartition(track?.window ?? [], track?.recentEnds ?? [], lag, now, outOfRange);
    const seconds = committed === null ? { basis: 'unknown' as const } : timeLag(track?.ends ?? (bounds ? [{ offset: end, at: now }] : []), committed, now);
    return {
      topic: entry.topic,
      partition: entry.partition,
      committed: committed === null ? null : String(committed),
      end: String(end),
      lag,
      ...(seconds.seconds !== undefined ? { lagSeconds: round(seconds.seconds) } : {}),
      lagSecondsBasis: seconds.basis,
      status: verdict.status,
      reason: verdict.reason,
      ...(owner ? { owner } : {}),
    };
  }

  /** Group summaries for the cluster view from the last sample. */
  summaries(connectionId: string): Map<string, Pick<KafkaGroupSummary, 'lag' | 'lagSeconds' | 'lagSecondsBasis' | 'status' | 'reason'>> {
    const out = new Map<string, Pick<KafkaGroupSummary, 'lag' | 'lagSeconds' | 'lagSecondsBasis' | 'status' | 'reason'>>();
    for (const [groupId, lag] of this.latestOf(connectionId)) {
      out.set(groupId, {
        lag: lag.lag,
        ...(lag.lagSeconds !== undefined ? { lagSeconds: lag.lagSeconds } : {}),
        ...(lag.lagSecondsBasis ? { lagSecondsBasis: lag.lagSecondsBasis } : {}),
        status: lag.status,
        reason: lag.reason,
      });
    }
    return out;
  }
}

/** `ends`: the partitions of the group's topics, so the verdict counts the ones the group never committed to. */
export function summarize(group: GroupDescription, partitions: PartitionLag[], now: number, ends?: Map<string, PartitionOffsets[]>): GroupLag {
  const verdict = evaluateGroup(partitions, ends ? uncommittedOf(partitions, ends) : []);
  let worst: PartitionLag | undefined;
  for (const p of partitions) if (p.lagSeconds !== undefined && (!worst || p.lagSeconds > worst.lagSeconds!)) worst = p;
  return {
    at: now,
    groupId: group.groupId,
    protocolType: group.protocolType,
    state: group.state,
    describable: group.describable,
    ...(group.note ? { note: group.note } : {}),
    members: group.members,
    partitions,
    lag: partitions.reduce((sum, p) => sum + p.lag, 0),
    ...(worst ? { lagSeconds: worst.lagSeconds!, lagSecondsBasis: worst.lagSecondsBasis } : {}),
    status: verdict.status,
    reason: verdict.reason,
  };
}

/** The partition's lag by the one rule (src-shared/partition-lag.ts); 0 for a partition that no longer exists. */
function lagOf(committed: number | null, bounds: PartitionOffsets | undefined): number {
  return bounds ? partitionLagMessages({ committed, start: bounds.start, end: bounds.end }) : 0;
}

/** The partitions of the listed partitions' topics that the group has no offset for. */
export function uncommittedOf(
  partitions: readonly { topic: string; partition: number }[],
  ends: Map<string, PartitionOffsets[]>,
): { topic: string; partition: number }[] {
  const listed = new Set(partitions.map((p) => partitionKey(p.topic, p.partition)));
  const topics = [...new Set(partitions.map((p) => p.topic))].sort();
  return topics.flatMap((topic) =>
    (ends.get(topic) ?? []).filter((p) => !listed.has(partitionKey(topic, p.partition))).map((p) => ({ topic, partition: p.partition })),
  );
}

/** Which member holds each "topic:partition". */
export function ownersOf(group: GroupDescription): Map<string, string> {
  const owners = new Map<string, string>();
  for (const member of group.members)
    for (const a of member.assignments) for (const p of a.partitions) owners.set(partitionKey(a.topic, p), `${member.clientId} (${member.host})`);
  return owners;
}

/** Keeps the last WINDOW_SIZE end offsets; a log that shrank (recreated topic) starts over. */
function recordRecentEnd(ring: number[], end: number): void {
  if (end < ring[ring.length - 1]!) ring.length = 0;
  ring.push(end);
  if (ring.length > WINDOW_SIZE) ring.shift();
}

function trackId(connectionId: string, groupId: string, key: string): string {
  return `${connectionId}\u0000${groupId}\u0000${key}`;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
