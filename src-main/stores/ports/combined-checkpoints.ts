import type { CheckpointKey, CheckpointStore, CheckpointView, SetPositionResult } from './checkpoint-store';
import { CompanionLayoutError } from './errors';

/** The checkpoint stores of one preset read as one (Emmett: processors and older subscriptions), keyed by `store`. */
export class CombinedCheckpoints implements CheckpointStore {
  constructor(private readonly parts: ReadonlyArray<{ store: string; checkpoints: CheckpointStore }>) {}

  sources(): string[] {
    return this.parts.flatMap((p) => p.checkpoints.sources());
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
