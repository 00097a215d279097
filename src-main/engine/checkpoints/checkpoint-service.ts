import { ChronoError } from '../../../src-shared/errors';
import type { CheckpointMapping } from '../../../src-shared/schemas/checkpoints';
import type { CheckpointKey, CheckpointStore, CheckpointView, SetPositionResult } from '../../stores/ports/checkpoint-store';
import { openCheckpoints } from '../../stores/ports/open-companions';
import type { ConnectionScopes } from '../connections/connection-scope';
import { checkMappingBackend, guard } from './companion-ports';
import { customCheckpointSource, type CheckpointMappings } from './checkpoint-mappings';

/** What a custom checkpoint mapping needs besides the clients: where mappings are kept and each connection's kind. */
export interface CustomCheckpointDeps {
  mappings: CheckpointMappings;
  kindOf(connectionId: string): Promise<string>;
}

/**
 * Projector checkpoints of a connection, through its preset's CheckpointStore.
 * What a `checkpoints.*` handler calls; it knows nothing of the layouts. The
 * port itself belongs to the connection's scope.
 */
export class CheckpointService {
  /** `scopes` opens each connection's CheckpointStore (with `custom.mappings`, which it is given too). */
  constructor(
    private readonly scopes: ConnectionScopes,
    private readonly custom?: CustomCheckpointDeps,
  ) {}

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
      const client = mapping.backend === 'mongo' ? (await this.scopes.mongo(connectionId)).db : await this.scopes.pool(connectionId);
      found = await guard(async () => {
        const store = await openCheckpoints(
          customCheckpointSource(mapping),
          client,
          mapping.backend === 'postgres' && mapping.schema ? { schema: mapping.schema } : {},
        );
        return { sources: store.sources(), checkpoints: (await store.list()).length };
      });
    }
    await this.custom.mappings.set(connectionId, mapping);
    this.scopes.get(connectionId).reopen('checkpoints');
    return found;
  }

  async list(connectionId: string): Promise<{ sources: string[]; checkpoints: CheckpointView[] }> {
    const store = await this.port(connectionId);
    return guard(async () => ({ sources: store.sources(), checkpoints: await store.list() }));
  }

  /** The connection's CheckpointStore itself, for operations that move checkpoints in their own transactions (rebuild swaps, the Kafka reset). */
  store(connectionId: string): Promise<CheckpointStore> {
    return this.port(connectionId);
  }

  async read(connectionId: string, key: CheckpointKey): Promise<CheckpointView | null> {
    const store = await this.port(connectionId);
    return guard(() => store.read(key));
  }

  /** Compare-and-set: applied only while the checkpoint still holds `expected`. */
  async setPosition(connectionId: string, key: CheckpointKey, expected: string | null, next: string): Promise<SetPositionResult> {
    const store = await this.port(connectionId);
    return guard(() => store.setPosition(key, expected, next));
  }

  private port(connectionId: string): Promise<CheckpointStore> {
    return guard(() => this.scopes.get(connectionId).checkpoints());
  }
}
