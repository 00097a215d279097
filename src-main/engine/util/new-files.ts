import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, open, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';

/**
 * Files Chronoscope writes for people (exports, reports) are new files, never written over
 * another: a name already taken gets `-2`, `-3`, ... before its extension. So an export
 * named like an erasure report cannot replace the report the audit log vouches for, and
 * a second export never destroys the first. (Its own state files keep writeFileAtomic.)
 */

/** Names tried before giving up: a folder holding that many copies of one name is not normal. */
const MAX_ATTEMPTS = 1000;

/** `feed.ndjson` → `feed-2.ndjson` for attempt 2; attempt 1 is the name itself. */
export function numberedName(name: string, attempt: number): string {
  if (attempt === 1) return name;
  const ext = extname(name);
  return `${name.slice(0, name.length - ext.length)}-${attempt}${ext}`;
}

/** A partial file next to `path` that no one else has, created exclusively (`wx`); not served as a download (`.part`). */
export function partialPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.part`);
}

/**
 * Gives finished partial files their final names in `dir`, all with the same number
 * (`report.json` + `report.html`, or `report-2.json` + `report-2.html`). A hard link
 * never replaces a file; where links are not possible (FAT drives) an exclusive copy
 * is made. The partial files are removed. Returns the final paths, in order.
 */
export async function placeNewFiles(dir: string, parts: Array<{ partial: string; name: string }>): Promise<string[]> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const placed: string[] = [];
    let taken = false;
    for (const part of parts) {
      const target = join(dir, numberedName(part.name, attempt));
      if (await claim(part.partial, target)) placed.push(target);
      else {
        taken = true;
        break;
      }
    }
    if (!taken) {
      await Promise.all(parts.map((part) => unlink(part.partial)));
      return placed;
    }
    // One name of the set is taken: give back the ones this attempt made and try the next number.
    await Promise.all(placed.map((path) => unlink(path)));
  }
  throw new Error(`${parts.map((p) => p.name).join(', ')} and ${MAX_ATTEMPTS - 1} numbered copies already exist in ${dir}: move old exports away.`);
}

/** A new folder `dir/name` (or `name-2`, ...), created by this call and by no one else. */
export async function makeNewFolder(dir: string, name: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const path = join(dir, numberedName(name, attempt));
    try {
      await mkdir(path, { mode: 0o700 });
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`${name} and ${MAX_ATTEMPTS - 1} numbered copies already exist in ${dir}: move old exports away.`);
}

/** Writes a finished file's contents to a new partial file, synced, ready for placeNewFiles. */
export async function writePartial(path: string, contents: string | Buffer): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const partial = partialPathFor(path);
  const handle = await open(partial, 'wx', 0o600);
  try {
    await handle.writeFile(contents, typeof contents === 'string' ? 'utf8' : undefined);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return partial;
}

/** Whether `target` now holds `partial`'s content, made by this call; false when the name was taken. */
async function claim(partial: string, target: string): Promise<boolean> {
  try {
    await link(partial, target);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS'].includes(code ?? '')) throw err;
  }
  try {
    await copyFile(partial, target, constants.COPYFILE_EXCL);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}
