import type { Db } from 'mongodb';
import { ChronoError } from '../../../src-shared/errors';
import type { SnapshotMapping } from '../../../src-shared/schemas/snapshots';
import { checkSnapshotDocuments } from '../../stores/mongo/companions/snapshot-documents-check';
import { CompanionLayoutError } from '../../stores/ports/errors';
import type { ListSnapshotsOptions, SnapshotFilter, SnapshotKey, SnapshotPage, SnapshotStore, StoredSnapshot } from '../../stores/ports/snapshot-store';
import type { ReadModelView } from '../../stores/ports/read-model-store';
import { openSnapshots } from '../../stores/ports/open-companions';
import type { ConnectionScopes } from '../connections/connection-scope';
import { customSnapshotLayout, customSnapshotSource, type SnapshotMappings } from '../snapshots/snapshot-mappings';
import { checkMappingBackend, guard, translateCompanionError } from './companion-ports';

/** What a custom snapshot mapping needs besides the clients: where mappings are kept and each connection's kind. */
export interface CustomSnapshotDeps {
  mappings: SnapshotMappings;
  kindOf(connectionId: string): Promise<string>;
}

/** Snapshots read to check that a custom mapping's states are JSON. */
const JSON_SAMPLE = 20;

/** Snapshots and read models of a connection, through its scope's ports (the preset's, or a custom snapshot mapping's). */
export class SnapshotService {
  /** `scopes` opens each connection's ports (with `custom.mappings`, which it is given too). */
  constructor(
    private readonly scopes: ConnectionScopes,
    private readonly custom?: CustomSnapshotDeps,
  ) {}

  async mapping(connectionId: string): Promise<SnapshotMapping | null> {
    return (await this.custom?.mappings.get(connectionId)) ?? null;
  }

  /**
   * Checks a custom mapping against the live schema (the table or collection exists, the
   * columns or fields are there, the version is an integer, the state JSON) and counts
   * through it before keeping it; null forgets it. Nothing is kept when a check fails.
   */
  async configure(connectionId: string, mapping: SnapshotMapping | null): Promise<{ source: string | null; snapshots: number }> {
    if (!this.custom) throw new ChronoError('unavailable', 'Custom snapshot mappings are not available here.');
    let found: { source: string | null; snapshots: number } = { source: null, snapshots: 0 };
    if (mapping) {
      checkMappingBackend(await this.custom.kindOf(connectionId), mapping.backend);
      const client = mapping.backend === 'mongo' ? (await this.scopes.mongo(connectionId)).db : await this.scopes.pool(connectionId);
      found = await guard(async () => {
        const layout = customSnapshotLayout(mapping);
        if (layout.format === 'documents') await checkSnapshotDocuments(client as Db, layout);
        const store = await openSnapshots(
          customSnapshotSource(mapping),
          client,
          mapping.backend === 'postgres' && mapping.schema ? { schema: mapping.schema } : {},
        );
        await refuseNotJson(store, mapping);
        return { source: store.source(), snapshots: await store.count({}) };
      });
    }
    await this.custom.mappings.set(connectionId, mapping);
    this.scopes.get(connectionId).reopen('snapshots');
    return found;
  }

  /** The connection's SnapshotStore itself, for jobs that page through it; its errors are not translated. */
  port(connectionId: string): Promise<SnapshotStore> {
    return this.scopes
      .get(connectionId)
      .snapshots()
      .catch((err: unknown) => {
        throw translateCompanionError(err);
      });
  }

  async list(connectionId: string, options: ListSnapshotsOptions): Promise<SnapshotPage & { source: string }> {
    const store = await this.port(connectionId);
    return guard(async () => ({ source: store.source(), ...(await store.list(options)) }));
  }

  async read(connectionId: string, key: SnapshotKey): Promise<StoredSnapshot | null> {
    const store = await this.port(connectionId);
    return guard(() => store.read(key));
  }

  async delete(connectionId: string, key: SnapshotKey): Promise<boolean> {
    const store = await this.port(connectionId);
    return guard(() => store.delete(key));
  }

  /** `dryRun` counts what the filter matches; the real run deletes it and says how many went. */
  async deleteWhere(connectionId: string, filter: SnapshotFilter, dryRun: boolean): Promise<{ count: number }> {
    const store = await this.port(connectionId);
    return guard(() => store.deleteWhere(filter, { dryRun }));
  }

  async listReadModels(connectionId: string): Promise<ReadModelView[]> {
    const store = await guard(() => this.scopes.get(connectionId).readModels());
    return guard(() => store.list());
  }
}

/** A state column (text, bytea) whose first snapshots do not parse as JSON is refused, naming one. */
async function refuseNotJson(store: SnapshotStore, mapping: SnapshotMapping): Promise<void> {
  const { snapshots } = await store.readPage({ limit: JSON_SAMPLE });
  const bad = snapshots.find((s) => !s.isJson);
  if (!bad) return;
  const state = mapping.backend === 'postgres' ? `column ${mapping.columns.state}` : `field ${mapping.fields.state}`;
  const problem = `the ${state} of ${store.source()} holds a state that is not JSON (stream ${bad.streamId}, version ${bad.version}): Chronoscope compares and rewrites JSON states only`;
  throw new CompanionLayoutError(
    `${problem.charAt(0).toUpperCase()}${problem.slice(1)}. Map a ${mapping.backend === 'postgres' ? 'column' : 'field'} holding the state as JSON.`,
    [problem],
  );
}
