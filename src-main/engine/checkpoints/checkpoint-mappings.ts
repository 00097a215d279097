import { join } from 'node:path';
import type { CheckpointMapping } from '../../../src-shared/schemas/checkpoints';
import type { CheckpointLayout } from '../../stores/ports/layouts';
import type { CompanionSource } from '../../stores/ports/open-companions';
import { readJsonIfExists, writeFileAtomic } from '../util/files';
import { SerialQueue } from '../util/serial-queue';

/** Custom checkpoint mappings per connection, kept in `checkpoint-mappings.json` in the data directory. */
export class CheckpointMappings {
  private readonly file: string;
  private readonly queue = new SerialQueue();

  constructor(dataDir: string) {
    this.file = join(dataDir, 'checkpoint-mappings.json');
  }

  async get(connectionId: string): Promise<CheckpointMapping | undefined> {
    return (await this.all())[connectionId];
  }

  set(connectionId: string, mapping: CheckpointMapping | null): Promise<void> {
    return this.queue.run(async () => {
      const all = await this.all();
      if (mapping) all[connectionId] = mapping;
      else delete all[connectionId];
      await writeFileAtomic(this.file, JSON.stringify(all, null, 2));
    });
  }

  private async all(): Promise<Record<string, CheckpointMapping>> {
    return (await readJsonIfExists<Record<string, CheckpointMapping>>(this.file)) ?? {};
  }
}

/** A custom mapping as the one layout of a companion source, opened like a preset's. */
export function customCheckpointSource(mapping: CheckpointMapping): CompanionSource & { schema?: string } {
  const layout: CheckpointLayout =
    mapping.backend === 'postgres'
      ? {
          format: 'table',
          kind: 'custom',
          backend: 'postgres',
          ...(mapping.schema ? { schema: mapping.schema } : {}),
          table: mapping.table,
          columns: {
            name: mapping.columns.name,
            position: mapping.columns.position,
            ...(mapping.columns.source ? { source: mapping.columns.source } : {}),
            ...(mapping.columns.updatedAt ? { updatedAt: mapping.columns.updatedAt } : {}),
          },
        }
      : {
          format: 'documents',
          kind: 'custom',
          backend: 'mongo',
          collection: mapping.collection,
          fields: {
            name: mapping.fields.name,
            position: mapping.fields.position,
            ...(mapping.fields.source ? { source: mapping.fields.source } : {}),
            ...(mapping.fields.updatedAt ? { updatedAt: mapping.fields.updatedAt } : {}),
          },
        };
  return { label: 'Custom checkpoint mapping', backend: mapping.backend, companions: { checkpoints: [layout] } };
}
