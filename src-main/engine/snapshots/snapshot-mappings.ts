import { join } from 'node:path';
import type { SnapshotMapping } from '../../../src-shared/schemas/snapshots';
import type { SnapshotLayout } from '../../stores/ports/layouts';
import type { CompanionSource } from '../../stores/ports/open-companions';
import { readJsonIfExists, writeFileAtomic } from '../util/files';
import { SerialQueue } from '../util/serial-queue';

/** Custom snapshot mappings per connection, kept in `snapshot-mappings.json` in the data directory. */
export class SnapshotMappings {
  private readonly file: string;
  private readonly queue = new SerialQueue();

  constructor(dataDir: string) {
    this.file = join(dataDir, 'snapshot-mappings.json');
  }

  async get(connectionId: string): Promise<SnapshotMapping | undefined> {
    return (await this.all())[connectionId];
  }

  set(connectionId: string, mapping: SnapshotMapping | null): Promise<void> {
    return this.queue.run(async () => {
      const all = await this.all();
      if (mapping) all[connectionId] = mapping;
      else delete all[connectionId];
      await writeFileAtomic(this.file, JSON.stringify(all, null, 2));
    });
  }

  private async all(): Promise<Record<string, SnapshotMapping>> {
    return (await readJsonIfExists<Record<string, SnapshotMapping>>(this.file)) ?? {};
  }
}

/** The names given, absent ones left out (the layouts' optional columns). */
function given<T extends Record<string, string | undefined>>(names: T): T {
  return Object.fromEntries(Object.entries(names).filter(([, v]) => v !== undefined)) as T;
}

/** The layout a custom snapshot mapping describes. */
export function customSnapshotLayout(mapping: SnapshotMapping): SnapshotLayout {
  if (mapping.backend === 'postgres') {
    const c = mapping.columns;
    return {
      format: 'table',
      kind: 'custom',
      backend: 'postgres',
      ...(mapping.schema ? { schema: mapping.schema } : {}),
      table: mapping.table,
      columns: {
        streamId: c.streamId,
        version: c.version,
        state: c.state,
        ...given({ streamType: c.streamType, takenAt: c.takenAt, schemaVersion: c.schemaVersion }),
      },
    };
  }
  const f = mapping.fields;
  return {
    format: 'documents',
    kind: 'custom',
    backend: 'mongo',
    collection: mapping.collection,
    fields: {
      streamId: f.streamId,
      version: f.version,
      state: f.state,
      ...given({ streamType: f.streamType, takenAt: f.takenAt, schemaVersion: f.schemaVersion }),
    },
  };
}

/** A custom mapping as the one snapshot layout of a companion source, opened like a preset's. */
export function customSnapshotSource(mapping: SnapshotMapping): CompanionSource {
  return { label: 'Custom snapshot mapping', backend: mapping.backend, companions: { snapshots: [customSnapshotLayout(mapping)] } };
}
