import type { CheckpointKey, CheckpointStore, CheckpointTransaction, CheckpointView, SetPositionResult } from './checkpoint-store';
import { CompanionLayoutError } from './errors';

/** The checkpoint stores of one preset read as one (Emmett: processors and older subscriptions), keyed by `store`. */
export class CombinedCheckpoints implements CheckpointStore {
  constructor(
    private readonly parts: ReadonlyArray<{ store: string; checkpoints: CheckpointStore }>,
    /** One transaction across the parts (the preset's backend knows how); none when already bound to one. */
    private readonly begin?: <T>(work: (joined: CheckpointTransaction | null) => Promise<T>) => Promise<T>,
  ) {}

  get atomic(): boolean {
    return this.parts.every((p) => p.checkpoints.atomic);
  }

  sources(): string[] {
    return this.parts.flatMap((p) => p.checkpoints.sources());
  }

  stores(): string[] {
    return this.parts.map((p) => p.store);
  }

  transaction<T>(work: (store: CheckpointStore) => Promise<T>): Promise<T> {
    if (!this.begin) return work(this);
    return this.begin((client) => work(client ? this.joining(client) : this));
  }

  joining(client: CheckpointTransaction): CheckpointStore {
    return new CombinedCheckpoints(this.parts.map((p) => ({ store: p.store, checkpoints: p.checkpoints.joining(client) })));
  }

  async list(): Promise<CheckpointView[]> {
    return (await Promise.all(this.parts.map((p) => p.checkpoints.list()))).flat();
  }

  async read(key: CheckpointKey): Promise<CheckpointView | null> {
    return (await this.partOf(key)?.read(key)) ?? null;
  }

  setPosition(key: CheckpointKey, expected: string | null, next: string): Promise<SetPositionResult> {
    const part = this.partOf(key);
    if (!part) throw new CompanionLayoutError(`No checkpoint store ${JSON.stringify(key.store)} here; known: ${this.parts.map((p) => p.store).join(', ')}.`);
    return part.setPosition(key, expected, next);
  }

  private partOf(key: CheckpointKey): CheckpointStore | undefined {
    return this.parts.find((p) => p.store === key.store)?.checkpoints;
  }
}
