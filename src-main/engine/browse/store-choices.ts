import { join } from 'node:path';
import type { CustomMapping, PresetNameInput } from '../../../src-shared/schemas/browse';
import { readJsonIfExists, writeFileAtomic } from '../util/files';
import { SerialQueue } from '../util/serial-queue';

export interface StoreChoice {
  preset: PresetNameInput;
  schema?: string;
  custom?: CustomMapping;
}

/** Which preset the user confirmed for each connection, in `<dataDir>/event-stores.json`. */
export class StoreChoices {
  private readonly file: string;
  private readonly queue = new SerialQueue();

  constructor(dataDir: string) {
    this.file = join(dataDir, 'event-stores.json');
  }

  async get(connectionId: string): Promise<StoreChoice | undefined> {
    return (await this.readAll())[connectionId];
  }

  async set(connectionId: string, choice: StoreChoice | undefined): Promise<void> {
    await this.queue.run(async () => {
      const all = await this.readAll();
      if (choice) all[connectionId] = choice;
      else delete all[connectionId];
      await writeFileAtomic(this.file, JSON.stringify({ version: 1, stores: all }, null, 2));
    });
  }

  private async readAll(): Promise<Record<string, StoreChoice>> {
    return { ...((await readJsonIfExists<{ stores: Record<string, StoreChoice> }>(this.file))?.stores ?? {}) };
  }
}
