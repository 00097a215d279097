import type { Producer } from 'kafkajs';
import type { Db } from 'mongodb';
import { eventToMessage } from '../kafka/messages';
import { sleep } from '../postgres/outbox-relay';
import { fromEventDocument, type EventDocument } from './event-store';

export interface MongoRelayOptions {
  topic: string;
  batchSize?: number;
  idleDelayMs?: number;
  /** Test hook, called after Kafka acknowledged a batch and before it is marked published. */
  afterPublish?: (eventIds: string[]) => void | Promise<void>;
  onError?: (err: unknown) => void;
}

/**
 * Publishes the Mongo store's events to Kafka. FerretDB has neither transactions
 * nor change streams, so there is no separate outbox to write atomically and no
 * stream to tail: the events collection is the outbox. The relay polls
 * `{published: false}` in `position` order, sends a batch (idempotent producer),
 * then flags it published. A crash between the two re-sends the batch in the same
 * order: at-least-once, per-key order kept; consumers drop duplicates by version.
 * Run one relay per store (there is no lock without transactions).
 */
export class MongoRelay {
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly producer: Producer,
    private readonly options: MongoRelayOptions,
  ) {}

  async relayOnce(): Promise<number> {
    const events = this.db.collection<EventDocument>('events');
    const docs = await events
      .find({ published: false })
      .sort({ position: 1 })
      .limit(this.options.batchSize ?? 500)
      .toArray();
    if (docs.length === 0) return 0;
    await this.producer.send({ topic: this.options.topic, acks: -1, messages: docs.map((d) => eventToMessage(fromEventDocument(d))) });
    await this.options.afterPublish?.(docs.map((d) => d._id));
    await events.updateMany({ _id: { $in: docs.map((d) => d._id) } }, { $set: { published: true } });
    return docs.length;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          if ((await this.relayOnce()) === 0) await sleep(this.options.idleDelayMs ?? 50);
        } catch (err) {
          this.options.onError?.(err);
          await sleep(500);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
