import { ChronoError } from '../../../src-shared/errors';
import type { CheckpointMapping } from '../../../src-shared/schemas/checkpoints';
import type { CheckpointKey, CheckpointStore, CheckpointView, SetPositionResult } from '../../stores/ports/checkpoint-store';
import { openCheckpoints } from '../../stores/ports/open-companions';
import type { Clients } from '../connections/clients';
import { checkMappingBackend, CompanionPorts, guard, withCustomMapping, type PresetResolver } from './companion-ports';
import { customCheckpointSource, type CheckpointMappings } from './checkpoint-mappings';

/** What a custom checkpoint mapping needs besides the clients: where mappings are kept and each connection's kind. */
export interface CustomCheckpointDeps {
  mappings: CheckpointMappings;
  kindOf(connectionId: string): Promise<string>;
}

/**
 * Projector checkpoints of a connection, through its preset's CheckpointStore.
 * What a `checkpoints.*` handler calls; it knows nothing of the layouts.
 */
export class CheckpointService {
  private readonly ports: CompanionPorts<CheckpointStore>;

  constructor(
    private readonly clients: Clients,
    resolve: PresetResolver,
    private readonly custom?: CustomCheckpointDeps,
  ) {
    const resolveWithCustom = withCustomMapping(resolve, custom && ((connectionId) => custom.mappings.get(connectionId)), customCheckpointSource);
    this.ports = new CompanionPorts(clients, resolveWithCustom, ({ record, schema }, client) => openCheckpoints(record, client, schema ? { schema } : {}));
  }

  async mapping(connectionId: string): Promise<CheckpointMapping | null> {
    return (await this.custom?.mappings.get(connectionId)) ?? null;
  }

  /**
   * Checks a custom mapping against the live schema (the table exists, the columns
   * are there, the position is an integer) and lists through it before keeping it;
   * null forgets it.
   */
  async configure(connectionId: string, mapping: CheckpointMapping | null): Promise<{ sources: string[]; checkpoints: number }> {
    if (!this.custom) throw new ChronoError('unavailable', 'Custom checkpoint mappings are not available here.');
    let found = { sources: [] as string[], checkpoints: 0 };
    if (mapping) {
      checkMappingBackend(await this.custom.kindOf(connectionId), mapping.backend);
      const client = mapping.backend === 'mongo' ? (await this.clients.mongo(connectionId)).db : await this.clients.pool(connectionId);
      found = await guard(async () => {
        const store = await openCheckpoints(customCheckpointSource(mapping), client, mapping.backend === 'postgres' && mapping.schema ? { schema: mapping.schema } : {});
        return { sources: store.sources(), checkpoints: (await store.list()).length };
      });
    }
    await this.custom.mappings.set(connectionId, mapping);
    this.ports.forget(connectionId);
    return found;
  }

  async list(connectionId: string): Promise<{ sources: string[]; checkpoints: CheckpointView[] }> {
    const store = await this.ports.get(connectionId);
    return guard(async () => ({ sources: store.sources(), checkpoints: await store.list() }));
  }

  /** The connection's CheckpointStore itself, for operations that move checkpoints in their own transactions (rebuild swaps, the Kafka reset). */
  store(connectionId: string): Promise<CheckpointStore> {
    return this.ports.get(connectionId);
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
