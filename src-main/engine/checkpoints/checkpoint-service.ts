import type { CheckpointKey, CheckpointStore, CheckpointView, SetPositionResult } from '../../stores/ports/checkpoint-store';
import { openCheckpoints } from '../../stores/ports/open-companions';
import type { Clients } from '../connections/clients';
import { CompanionPorts, guard, type PresetResolver } from './companion-ports';

/**
 * Projector checkpoints of a connection, through its preset's CheckpointStore.
 * What a `checkpoints.*` handler calls; it knows nothing of the layouts.
 */
export class CheckpointService {
  private readonly ports: CompanionPorts<CheckpointStore>;

  constructor(clients: Clients, resolve: PresetResolver) {
    this.ports = new CompanionPorts(clients, resolve, ({ record, schema }, client) => openCheckpoints(record, client, schema ? { schema } : {}));
  }

  async list(connectionId: string): Promise<{ sources: string[]; checkpoints: CheckpointView[] }> {
    const store = await this.ports.get(connectionId);
    return guard(async () => ({ sources: store.sources(), checkpoints: await store.list() }));
  }

  async read(connectionId: string, key: CheckpointKey): Promise<CheckpointView | null> {
    const store = await this.ports.get(connectionId);
    return guard(() => store.read(key));
  }

  /** Compare-and-set: applied only while the checkpoint still holds `expected`. */
  async setPosition(connectionId: string, key: CheckpointKey, expected: string | null, next: string): Promise<SetPositionResult> {
    const store = await this.ports.get(connectionId);
    return guard(() => store.setPosition(key, expected, next));
  }

  forget(connectionId: string): void {
    this.ports.forget(connectionId);
  }
}
