/**
 * The user definitions folder as a setting: kept in `<dataDir>/definitions.json`,
 * restored at start, checked when set (it must be an existing folder then; it
 * may disappear later, which UserDefinitions reports).
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ChronoError } from '../../../src-shared/errors';
import { readJsonIfExists, writeFileAtomic } from '../util/files';
import { SerialQueue } from '../util/serial-queue';
import type { FolderStatus, UserDefinitions } from './user-definitions';

interface SettingsFile {
  version: 1;
  folder: string | null;
}

export class DefinitionsFolder {
  private readonly file: string;
  private readonly queue = new SerialQueue();

  constructor(
    dataDir: string,
    private readonly definitions: UserDefinitions,
  ) {
    this.file = join(dataDir, 'definitions.json');
  }

  /** Starts watching the saved folder, if there is one. */
  async restore(): Promise<void> {
    const saved = (await readJsonIfExists<SettingsFile>(this.file))?.folder;
    if (saved) await this.definitions.setFolder(saved);
  }

  async set(path: string): Promise<FolderStatus | null> {
    const folder = resolve(path);
    const info = await stat(folder).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? new ChronoError('not_found', `There is no folder at ${folder}.`, { path: folder }) : new ChronoError('invalid_input', `${folder} cannot be read: ${err.message}`, { path: folder });
    });
    if (!info.isDirectory()) throw new ChronoError('invalid_input', `${folder} is a file, not a folder.`, { path: folder });
    return this.save(folder);
  }

  clear(): Promise<FolderStatus | null> {
    return this.save(null);
  }

  private save(folder: string | null): Promise<FolderStatus | null> {
    return this.queue.run(async () => {
      await writeFileAtomic(this.file, JSON.stringify({ version: 1, folder } satisfies SettingsFile, null, 2));
      await this.definitions.setFolder(folder);
      return this.definitions.folder;
    });
  }
}
