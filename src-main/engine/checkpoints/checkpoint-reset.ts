import { ChronoError } from '../../../src-shared/errors';
import type { CheckpointsResetResult, ResetTarget } from '../../../src-shared/schemas/checkpoints';
import type { EventStore } from '../../stores/event-store';
import type { CheckpointKey, CheckpointView } from '../../stores/ports/checkpoint-store';
import type { RangeSummary } from '../../stores/position-ranges';
import { canonicalJson } from '../util/canonical-json';
import { kafkaPartitionOf, type KafkaEnds } from './checkpoint-board';
import type { CheckpointService } from './checkpoint-service';
import type { Movements } from './movements';

export interface CheckpointResetRequest {
  connectionId: string;
  key: CheckpointKey;
  target: ResetTarget;
  kafkaConnectionId?: string | undefined;
  expected?: string | null | undefined;
  aliveWithinSeconds: number;
  /** The real run of a confirmed dry run: the position it started from and the target it showed, applied as shown. */
  confirmed?: Pick<CheckpointsResetResult, 'expected' | 'target'> | undefined;
}

export interface ResetDeps {
  checkpoints: CheckpointService;
  eventStore(connectionId: string): Promise<EventStore>;
  kafkaEnds: KafkaEnds;
  movements: Movements;
  now?: () => number;
}

/** How long what a dry run saw is remembered for its real run (the confirmation token lives 10 minutes). */
const SEEN_TTL_MS = 15 * 60 * 1000;

const describe = (key: CheckpointKey) => `${key.projector}${key.source ? ` (${key.source})` : ''}`;
const plural = (n: number, what: string) => `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;

/**
 * Moves a checkpoint: to the beginning, a position, the last event before a time,
 * the head, or another projector's position. The dry run says what would be
 * reprocessed or skipped and remembers the position it saw; the real run is a
 * compare-and-set against that position, so a projector that moved meanwhile is
 * reported, never overwritten.
 */
export class CheckpointResets {
  private readonly seen = new Map<string, { position: string | null; at: number }>();
  private readonly now: () => number;

  constructor(private readonly deps: ResetDeps) {
    this.now = deps.now ?? Date.now;
  }

  async run(request: CheckpointResetRequest, dryRun: boolean): Promise<CheckpointsResetResult> {
    const { connectionId, key } = request;
    const current = await this.readExisting(connectionId, key);
    const kafka = kafkaPartitionOf(key.source);
    const store = kafka ? undefined : await this.deps.eventStore(connectionId);
    const target = !dryRun && request.confirmed ? request.confirmed.target : await this.resolveTarget(request, store);

    const requestId = canonicalJson({ ...request, confirmed: undefined, expected: request.expected ?? null });
    let expected: string | null;
    if (request.expected !== undefined) expected = request.expected;
    else if (!dryRun && request.confirmed) expected = request.confirmed.expected;
    else if (dryRun) expected = current.position;
    else {
      const seen = this.seen.get(requestId);
      if (!seen || this.now() - seen.at > SEEN_TTL_MS)
        throw new ChronoError(
          'confirmation_required',
          'Run the dry run of this reset again: what it saw is no longer known (Chronoscope restarted or it expired).',
        );
      expected = seen.position;
    }

    const from = current.position ?? '0';
    const direction = BigInt(target.position) < BigInt(from) ? 'reprocess' : BigInt(target.position) > BigInt(from) ? 'skip' : 'none';
    const [lo, hi] = direction === 'reprocess' ? [target.position, from] : [from, target.position];
    let summary: RangeSummary | null = null;
    if (direction !== 'none' && store) summary = (await store.positionRanges?.()?.summarize(lo, hi)) ?? null;
    const offsets = kafka ? Number(BigInt(hi) - BigInt(lo)) : null;

    const lastMoved = this.deps.movements.lastMovedAt(connectionId, key, current.updatedAt);
    const looksAlive = lastMoved !== null && this.now() - lastMoved < request.aliveWithinSeconds * 1000;
    const warnings: string[] = [];
    if (looksAlive) {
      warnings.push(
        `${describe(key)} moved ${Math.max(0, Math.round((this.now() - lastMoved) / 1000))} s ago: its projector looks alive. A running projector may overwrite the reset with its next write: stop it first, or check afterwards that the reset held.`,
      );
    }
    if (request.expected !== undefined && current.position !== request.expected) {
      warnings.push(
        `The checkpoint holds ${current.position ?? 'nothing'} now, not ${request.expected}: the real run will be refused unless it holds ${request.expected} again.`,
      );
    }
    const what = kafka ? plural(offsets ?? 0, 'offset') : plural(summary?.count ?? 0, 'event');
    const base = {
      key,
      expected,
      target,
      direction,
      summary,
      offsets,
      alive: { looksAlive, lastMovedAt: lastMoved === null ? null : new Date(lastMoved).toISOString() },
      warnings,
    } as const;

    if (dryRun) {
      this.forgetExpired();
      this.seen.set(requestId, { position: current.position, at: this.now() });
      const message =
        direction === 'none'
          ? `${describe(key)} already holds ${target.position}: the reset changes nothing.`
          : `${describe(key)} moves from ${from} to ${target.position}: ${what} ${direction === 'reprocess' ? 'will be processed again' : 'will be skipped, never processed'}.`;
      return { outcome: 'preview', ...base, message };
    }

    const result = await this.deps.checkpoints.setPosition(connectionId, key, expected, target.position);
    if (result.outcome === 'moved') {
      const found = result.checkpoint?.position ?? null;
      throw new ChronoError(
        'conflict',
        `${describe(key)} moved from ${expected ?? 'nothing'} to ${found ?? 'nothing'} since the dry run: nothing was written. Run the dry run again to see what a reset would do now.`,
        {
          expected,
          found,
        },
      );
    }
    this.seen.delete(requestId);
    this.deps.movements.observe(connectionId, key, target.position);
    return { outcome: 'applied', ...base, message: `${describe(key)} now holds ${target.position} (was ${expected ?? 'nothing'}).` };
  }

  private async readExisting(connectionId: string, key: CheckpointKey): Promise<CheckpointView> {
    const current = await this.deps.checkpoints.read(connectionId, key);
    if (!current) throw new ChronoError('not_found', `No checkpoint ${describe(key)} in ${key.store}: pick one from the checkpoints list.`);
    if (current.role === 'mark') throw new ChronoError('invalid_input', `${key.projector} is the store's own mark, not a projector: it is not reset.`);
    const unreadable = current.extras?.unreadablePosition;
    if (unreadable !== undefined)
      throw new ChronoError(
        'invalid_input',
        `${key.store} holds position ${JSON.stringify(unreadable)} for ${key.projector}, which is not a number: fix the row by hand; it is not reset.`,
      );
    return current;
  }

  private async resolveTarget(request: CheckpointResetRequest, store: EventStore | undefined): Promise<{ position: string; label: string }> {
    const { target, key } = request;
    const kafka = kafkaPartitionOf(key.source);
    const end = async (): Promise<string> => {
      if (kafka) {
        if (!request.kafkaConnectionId)
          throw new ChronoError('invalid_input', `Choose the Kafka connection of topic ${kafka.topic} to reset ${describe(key)} against its partition end.`, {
            problems: [{ field: 'kafkaConnectionId', message: 'choose the Kafka connection' }],
          });
        const ends = await this.deps.kafkaEnds(request.kafkaConnectionId, kafka.topic);
        const partitionEnd = ends.get(kafka.partition);
        if (partitionEnd === undefined)
          throw new ChronoError('not_found', `Topic ${kafka.topic} has no partition ${kafka.partition} on that Kafka connection.`);
        return partitionEnd;
      }
      return (await store!.headPosition()) ?? '0';
    };
    switch (target.kind) {
      case 'beginning':
        return { position: '0', label: 'the beginning' };
      case 'head':
        return { position: await end(), label: kafka ? 'the end of the partition' : 'the head of the store' };
      case 'position': {
        const limit = await end();
        if (BigInt(target.position) > BigInt(limit)) {
          throw new ChronoError(
            'invalid_input',
            `Position ${target.position} is beyond the ${kafka ? 'partition end' : 'head of the store'} (${limit}): choose a position at or before it.`,
            {
              problems: [{ field: 'target.position', message: `must be at most ${limit}` }],
            },
          );
        }
        return { position: target.position, label: `position ${target.position}` };
      }
      case 'time': {
        if (kafka)
          throw new ChronoError(
            'invalid_input',
            'A Kafka partition checkpoint is reset to an offset, the beginning, the end or another checkpoint, not to a time.',
          );
        const ranges = store!.positionRanges?.();
        if (!ranges) throw new ChronoError('invalid_input', 'This store keeps no global position: its checkpoints cannot be reset to a time.');
        const at = new Date(target.at);
        const position = (await ranges.lastPositionBefore(at)) ?? '0';
        return { position, label: `the last event before ${at.toISOString()}` };
      }
      case 'projector': {
        const other = await this.deps.checkpoints.read(request.connectionId, target.key);
        if (!other) throw new ChronoError('not_found', `No checkpoint ${describe(target.key)} in ${target.key.store} to copy the position of.`);
        if (Boolean(kafkaPartitionOf(other.source)) !== Boolean(kafka)) {
          throw new ChronoError(
            'invalid_input',
            `${describe(target.key)} counts ${kafka ? 'store positions' : 'Kafka offsets'}, ${describe(key)} does not: positions of different sources cannot be copied.`,
          );
        }
        if (other.position === null) throw new ChronoError('invalid_input', `${describe(target.key)} holds no position to copy.`);
        return { position: other.position, label: `the position of ${describe(target.key)}` };
      }
    }
  }

  private forgetExpired(): void {
    for (const [id, seen] of this.seen) if (this.now() - seen.at > SEEN_TTL_MS) this.seen.delete(id);
  }
}
