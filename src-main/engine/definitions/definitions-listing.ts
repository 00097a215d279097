/**
 * What a definitions folder holds, as the user confirms it: each *.js file's
 * name, size and SHA-256, and one hash over the sorted names and hashes. Reading
 * a listing never loads or runs a file.
 */
import { createHash } from 'node:crypto';
import { createReadStream, type Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface ListedFile {
  name: string;
  size: number;
  sha256: string;
}

export interface FolderListing {
  path: string;
  files: ListedFile[];
  listingHash: string;
}

/** The file names that count as definitions: *.js entries that are not folders, sorted. */
export async function definitionFileNames(folder: string): Promise<string[]> {
  const entries: Dirent[] = await readdir(folder, { withFileTypes: true });
  return entries
    .filter((d) => !d.isDirectory() && d.name.endsWith('.js'))
    .map((d) => d.name)
    .sort();
}

export function sha256Of(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Streamed, so a huge file that is no definition does not fill memory. */
export function sha256OfFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** One hash for the whole set: a file added, removed, renamed or edited changes it. */
export function listingHashOf(files: readonly Pick<ListedFile, 'name' | 'sha256'>[]): string {
  const lines = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((f) => `${f.name}\0${f.sha256}\n`);
  return createHash('sha256').update(lines.join('')).digest('hex');
}

/** Lists the folder's definition files; a file that cannot be read is left out (it could not run either). */
export async function listFolder(folder: string): Promise<FolderListing> {
  const files: ListedFile[] = [];
  for (const name of await definitionFileNames(folder)) {
    const file = join(folder, name);
    try {
      const info = await stat(file);
      if (!info.isFile()) continue;
      files.push({ name, size: info.size, sha256: await sha256OfFile(file) });
    } catch {
      continue;
    }
  }
  return { path: folder, files, listingHash: listingHashOf(files) };
}
