import type { PersonalDataCodec } from '../crypto/personal-data';
import type { EventDraft } from '../domain/decider';
import { type CommandOf, deciderFor, isSnapshottable, type StateOf } from '../domain/registry';
import { ConcurrencyConflictError, DomainRuleViolation } from '../errors';
import { type AggregateType, currentSchemaVersion, type DomainEvent } from '../events';
import { deterministicId, newId } from '../ids';
import { type CommandEventStore, DEFAULT_SNAPSHOT_EVERY, snapshotDue } from '../store';
import { loadAggregate } from './aggregate-loader';

/** Who asked, and in which causal chain. */
export interface CommandContext {
  /** Makes the command idempotent: a retry with the same id records nothing new and returns the first result. */
  commandId?: string;
  correlationId?: string;
  causationId?: string;
  userId?: string;
}

export interface CommandResult {
  aggregateType: AggregateType;
  aggregateId: string;
  eventIds: string[];
  /** Stream version after the command. */
  version: number;
  /** True when this was a retry of a command already recorded. */
  duplicate: boolean;
}

export interface CommandHandlerOptions {
  /** Which store holds each aggregate type. */
  storeFor: (aggregateType: AggregateType) => CommandEventStore;
  /** Encrypts personal data on the way in and decrypts it on load. */
  codec?: PersonalDataCodec;
  snapshotEvery?: number;
  now?: () => Date;
}

/**
 * The command side: load (snapshot + later events), decide, append with the
 * expected version. Event ids derive from the command id, so a retried command
 * either finds its events already stored or collides with them in the unique
 * index — never records them twice.
 */
export class CommandHandler {
  private readonly snapshotEvery: number;
  private readonly now: () => Date;

  constructor(private readonly options: CommandHandlerOptions) {
    this.snapshotEvery = options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
    this.now = options.now ?? (() => new Date());
  }

  async execute<T extends AggregateType>(aggregateType: T, aggregateId: string, command: CommandOf<T>, context: CommandContext = {}): Promise<CommandResult> {
    const store = this.options.storeFor(aggregateType);
    const firstEventId = context.commandId ? deterministicId(context.commandId, aggregateId, 0) : undefined;
    if (firstEventId) {
      const previous = await this.previousResult(store, aggregateType, aggregateId, firstEventId);
      if (previous) return previous;
    }

    const decider = deciderFor(aggregateType);
    const loaded = await loadAggregate(store, aggregateType, aggregateId, { codec: this.options.codec });
    const drafts = decider.decide(command, loaded.state);
    if (drafts.length === 0) return { aggregateType, aggregateId, eventIds: [], version: loaded.version, duplicate: false };

    const events = this.envelopes(aggregateType, aggregateId, loaded.version, drafts, context);
    let state = loaded.state;
    for (const draft of drafts) state = decider.evolve(state, draft);
    const newVersion = loaded.version + events.length;
    const snapshot =
      isSnapshottable(aggregateType) && snapshotDue(loaded.version, newVersion, this.snapshotEvery)
        ? { aggregateId, aggregateType, version: newVersion, state, takenAt: this.now().toISOString() }
        : undefined;
    const sealed = this.options.codec ? await Promise.all(events.map((e) => this.options.codec!.seal(e))) : events;

    try {
      await store.append({ aggregateType, aggregateId, expectedVersion: loaded.version, events: sealed, snapshot });
    } catch (err) {
      // A concurrent retry of this same command may have won the race: then this is a duplicate, not a conflict.
      if (err instanceof ConcurrencyConflictError && firstEventId) {
        const previous = await this.previousResult(store, aggregateType, aggregateId, firstEventId);
        if (previous) return previous;
      }
      throw err;
    }
    return { aggregateType, aggregateId, eventIds: events.map((e) => e.eventId), version: newVersion, duplicate: false };
  }

  /** Loads current state (for queries on the command side and tests). */
  async load<T extends AggregateType>(aggregateType: T, aggregateId: string): Promise<{ state: StateOf<T>; version: number }> {
    const loaded = await loadAggregate(this.options.storeFor(aggregateType), aggregateType, aggregateId, { codec: this.options.codec });
    return { state: loaded.state as StateOf<T>, version: loaded.version };
  }

  /**
   * A transfer between two accounts: the debit and the matching credit, linked
   * by correlation (the transfer) and causation (the credit is caused by the debit).
   * Each side is idempotent, so a retry after a crash between them completes the transfer.
   */
  async transfer(
    fromAccountId: string,
    toAccountId: string,
    amountCents: number,
    context: CommandContext & { transferId?: string } = {},
  ): Promise<{ sent: CommandResult; received: CommandResult }> {
    if (fromAccountId === toAccountId) throw new DomainRuleViolation('same_account', 'Cannot transfer to the same account');
    const transferId = context.transferId ?? context.commandId ?? newId();
    const destination = await this.load('Account', toAccountId);
    if (destination.state.status !== 'open') throw new DomainRuleViolation('destination_unavailable', `Account ${toAccountId} is not open`);
    const commandId = context.commandId ?? transferId;
    const correlationId = context.correlationId ?? transferId;
    const sent = await this.execute(
      'Account',
      fromAccountId,
      { type: 'SendTransfer', transferId, toAccountId, amountCents },
      { ...context, commandId: `${commandId}:send`, correlationId },
    );
    const received = await this.execute(
      'Account',
      toAccountId,
      { type: 'ReceiveTransfer', transferId, fromAccountId, amountCents },
      { ...context, commandId: `${commandId}:receive`, correlationId, causationId: sent.eventIds[0] ?? correlationId },
    );
    return { sent, received };
  }

  private envelopes(aggregateType: AggregateType, aggregateId: string, fromVersion: number, drafts: EventDraft[], context: CommandContext): DomainEvent[] {
    const timestamp = this.now().toISOString();
    return drafts.map((draft, index) => {
      const eventId = context.commandId ? deterministicId(context.commandId, aggregateId, index) : newId();
      const origin = context.commandId ?? eventId;
      return {
        eventId,
        type: draft.type,
        aggregateId,
        aggregateType,
        version: fromVersion + index + 1,
        timestamp,
        data: draft.data as Record<string, unknown>,
        metadata: {
          correlationId: context.correlationId ?? origin,
          causationId: context.causationId ?? origin,
          userId: context.userId ?? 'system',
          schemaVersion: currentSchemaVersion(draft.type),
          ...(context.commandId ? { commandId: context.commandId } : {}),
        },
      };
    });
  }

  private async previousResult(
    store: CommandEventStore,
    aggregateType: AggregateType,
    aggregateId: string,
    firstEventId: string,
  ): Promise<CommandResult | null> {
    const first = await store.findEvent(firstEventId);
    if (!first) return null;
    // Collect the rest of the command's events (same command id, following versions).
    const eventIds = [first.eventId];
    let version = first.version;
    for await (const event of store.readStream(aggregateId, first.version)) {
      if (event.metadata.commandId !== first.metadata.commandId) break;
      eventIds.push(event.eventId);
      version = event.version;
    }
    return { aggregateType, aggregateId, eventIds, version, duplicate: true };
  }
}
