import type { ListSnapshotsOptions, SnapshotFilter, SnapshotKey, SnapshotPage, SnapshotStore, StoredSnapshot } from '../../stores/ports/snapshot-store';
import type { ReadModelStore, ReadModelView } from '../../stores/ports/read-model-store';
import { openReadModels, openSnapshots } from '../../stores/ports/open-companions';
import type { Clients } from '../connections/clients';
import { CompanionPorts, guard, type PresetResolver } from './companion-ports';

/** Snapshots and read models of a connection, through its preset's ports. */
export class SnapshotService {
  private readonly snapshots: CompanionPorts<SnapshotStore>;
  private readonly readModels: CompanionPorts<ReadModelStore>;

  constructor(clients: Clients, resolve: PresetResolver) {
    this.snapshots = new CompanionPorts(clients, resolve, ({ record, schema }, client) => openSnapshots(record, client, schema ? { schema } : {}));
    this.readModels = new CompanionPorts(clients, resolve, ({ record, schema }, client) => Promise.resolve(openReadModels(record, client, schema ? { schema } : {})));
  }

  /** The connection's SnapshotStore itself, for jobs that page through it; its errors are not translated. */
  port(connectionId: string): Promise<SnapshotStore> {
    return this.snapshots.get(connectionId);
  }

  async list(connectionId: string, options: ListSnapshotsOptions): Promise<SnapshotPage & { source: string }> {
    const store = await this.snapshots.get(connectionId);
    return guard(async () => ({ source: store.source(), ...(await store.list(options)) }));
  }

  async read(connectionId: string, key: SnapshotKey): Promise<StoredSnapshot | null> {
    const store = await this.snapshots.get(connectionId);
    return guard(() => store.read(key));
  }

  async delete(connectionId: string, key: SnapshotKey): Promise<boolean> {
    const store = await this.snapshots.get(connectionId);
    return guard(() => store.delete(key));
  }

  /** `dryRun` counts what the filter matches; the real run deletes it and says how many went. */
  async deleteWhere(connectionId: string, filter: SnapshotFilter, dryRun: boolean): Promise<{ count: number }> {
    const store = await this.snapshots.get(connectionId);
    return guard(() => store.deleteWhere(filter, { dryRun }));
  }

  async listReadModels(connectionId: string): Promise<ReadModelView[]> {
    const store = await this.readModels.get(connectionId);
    return guard(() => store.list());
  }

  forget(connectionId: string): void {
    this.snapshots.forget(connectionId);
    this.readModels.forget(connectionId);
  }
}
