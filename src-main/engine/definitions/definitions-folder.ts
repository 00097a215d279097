/**
 * The user definitions folder as a setting: kept in `<dataDir>/definitions.json`
 * with the files the user confirmed (name and SHA-256), restored at start,
 * checked when set (it must be an existing folder then; it may disappear later,
 * which UserDefinitions reports). A file runs only once the user has seen it in
 * a listing and confirmed that listing.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ChronoError } from '../../../src-shared/errors';
import { readJsonIfExists, writeFileAtomic } from '../util/files';
import { SerialQueue } from '../util/serial-queue';
import { listFolder, type FolderListing } from './definitions-listing';
import type { FolderStatus, UserDefinitions } from './user-definitions';

/** Version 1 had no confirmed files: its folder comes back with every file awaiting confirmation. */
interface SettingsFile {
  version: 1 | 2;
  folder: string | null;
  /** File name → SHA-256 of the content confirmed. */
  confirmed?: Record<string, string>;
}

export interface ConfirmedFolder {
  folder: FolderStatus | null;
  listing: FolderListing;
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

  /** Starts watching the saved folder, if there is one, running only the files confirmed. */
  async restore(): Promise<void> {
    const saved = await readJsonIfExists<SettingsFile>(this.file);
    if (saved?.folder) await this.definitions.setFolder(saved.folder, confirmedMap(saved.confirmed));
  }

  /** The folder's files, for the user to look at: nothing is set, loaded or run. */
  async look(path: string): Promise<FolderListing> {
    return listFolder(await existingFolder(path));
  }

  /**
   * Sets the folder and confirms its files as they are now. With `listingHash`,
   * only if they still hash to it (the listing the user saw); without, the
   * caller vouches for them (the desktop's folder dialog, where the user picked the folder).
   */
  async set(path: string, listingHash?: string): Promise<ConfirmedFolder> {
    return this.confirm(await existingFolder(path), listingHash);
  }

  /** Confirms the current folder's files (new or changed ones included) if they still hash to `listingHash`. */
  async confirmCurrent(listingHash: string): Promise<ConfirmedFolder> {
    const current = this.definitions.folder;
    if (!current) throw new ChronoError('not_found', 'No definitions folder is set: choose one first.');
    return this.confirm(await existingFolder(current.path), listingHash);
  }

  clear(): Promise<FolderStatus | null> {
    return this.queue.run(async () => {
      await this.save(null, {});
      return this.definitions.folder;
    });
  }

  private confirm(folder: string, listingHash: string | undefined): Promise<ConfirmedFolder> {
    return this.queue.run(async () => {
      const listing = await listFolder(folder);
      if (listingHash !== undefined && listing.listingHash !== listingHash) {
        throw new ChronoError(
          'conflict',
          `The files in ${folder} changed since they were listed: look at the list again and confirm what is there now. Nothing was run.`,
          { path: folder, listingHash: listing.listingHash },
        );
      }
      await this.save(folder, Object.fromEntries(listing.files.map((f) => [f.name, f.sha256])));
      return { folder: this.definitions.folder, listing };
    });
  }

  private async save(folder: string | null, confirmed: Record<string, string>): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify({ version: 2, folder, confirmed } satisfies SettingsFile, null, 2));
    await this.definitions.setFolder(folder, confirmedMap(confirmed));
  }
}

async function existingFolder(path: string): Promise<string> {
  const folder = resolve(path);
  const info = await stat(folder).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT'
      ? new ChronoError('not_found', `There is no folder at ${folder}.`, { path: folder })
      : new ChronoError('invalid_input', `${folder} cannot be read: ${err.message}`, { path: folder });
  });
  if (!info.isDirectory()) throw new ChronoError('invalid_input', `${folder} is a file, not a folder.`, { path: folder });
  return folder;
}

/** Only well-formed entries of a settings file (it may have been edited by hand). */
function confirmedMap(confirmed: unknown): Map<string, string> {
  if (typeof confirmed !== 'object' || confirmed === null) return new Map();
  return new Map(Object.entries(confirmed).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && /^[0-9a-f]{64}$/.test(entry[1])));
}
