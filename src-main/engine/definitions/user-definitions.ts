/**
 * The user's own projection definitions: the *.js files of one folder, each
 * validated in the sandbox, kept in memory with the source text it was
 * validated from, and reloaded when the folder changes (fs.watch, debounced).
 * A folder that disappears is polled until it comes back.
 *
 * Only files the user confirmed run: a file whose name and SHA-256 are not in
 * the confirmed set (new, or edited since) is listed as awaiting confirmation
 * and never reaches the sandbox. The hash is taken of the very bytes that would
 * run, so a file swapped after it was listed is caught too.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { USER_DEFINITION_NAME } from '../../../src-shared/schemas/time-travel';
import { SerialQueue } from '../util/serial-queue';
import { definitionFileNames, listingHashOf, sha256Of, sha256OfFile } from './definitions-listing';
import { inspectDefinition, type DefinitionLoadError } from './inspect-definition';
import type { DefinitionInfo } from './sandbox';

export interface UserDefinition {
  /** `user:<file name without .js>`. */
  name: string;
  file: string;
  /** The text that was validated; what a replay runs. */
  source: string;
  info?: DefinitionInfo;
  error?: DefinitionLoadError;
  /** mtime, size and inode: a different stamp means the file changed. */
  stamp: string;
  size: number;
  /** Of the content read; absent when the file could not be read. */
  sha256?: string;
  /** Not run: the file is new, or changed, since the user last confirmed the folder's files. */
  awaiting?: 'new' | 'changed';
}

/** File name → SHA-256 of the content the user confirmed. */
export type ConfirmedFiles = ReadonlyMap<string, string>;

export interface FolderStatus {
  path: string;
  state: 'watching' | 'missing';
  message?: string;
  /** Over the files as last read (names and SHA-256): what confirming them again refers to. */
  listingHash?: string;
}

export interface UserDefinitionsOptions {
  /** Quiet time after the last file event before the folder is rescanned. */
  debounceMs?: number;
  /** How often a missing folder is looked for. */
  missingPollMs?: number;
  log?: (message: string) => void;
}

export function userDefinitionName(file: string): string {
  return `user:${basename(file).replace(/\.js$/, '')}`;
}

export class UserDefinitions {
  private folderPath: string | undefined;
  private status: FolderStatus | null = null;
  private entries = new Map<string, UserDefinition>();
  private confirmed: ConfirmedFiles = new Map();
  private watcher: FSWatcher | undefined;
  private watchedIno: number | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private missingPoll: NodeJS.Timeout | undefined;
  private readonly queue = new SerialQueue();
  private readonly listeners = new Set<() => void>();
  private changes = 0;
  private closed = false;
  private readonly debounceMs: number;
  private readonly missingPollMs: number;

  constructor(private readonly options: UserDefinitionsOptions = {}) {
    this.debounceMs = options.debounceMs ?? 200;
    this.missingPollMs = options.missingPollMs ?? 2000;
  }

  get folder(): FolderStatus | null {
    return this.status;
  }

  /** Grows with every change of the set or of a file's content. */
  get revision(): number {
    return this.changes;
  }

  /**
   * Switches to a folder (or to none) and loads its confirmed definitions before
   * it returns; the other files are listed as awaiting confirmation.
   */
  setFolder(path: string | null, confirmed: ConfirmedFiles = new Map()): Promise<void> {
    return this.queue.run(async () => {
      this.stopWatching();
      this.folderPath = path ?? undefined;
      this.status = path ? { path, state: 'watching' } : null;
      this.entries = new Map();
      this.confirmed = new Map(confirmed);
      this.changed();
      if (path) await this.scan(path);
    });
  }

  /** Loaded and failed definitions, by name. */
  list(): UserDefinition[] {
    return [...this.entries.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * One definition, rescanning first if its file changed since it was loaded,
   * so a replay never runs text older than what is saved (even before the watcher fires).
   */
  async get(name: string): Promise<UserDefinition | undefined> {
    const entry = [...this.entries.values()].find((e) => e.name === name);
    if (entry && (await stampOf(entry.file)) !== entry.stamp) await this.rescan();
    return [...this.entries.values()].find((e) => e.name === name);
  }

  /** Called after every change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    this.closed = true;
    this.stopWatching();
    this.listeners.clear();
    return this.queue.run(async () => undefined);
  }

  private rescan(): Promise<void> {
    return this.queue.run(async () => {
      if (this.folderPath) await this.scan(this.folderPath);
    });
  }

  /** Runs inside the queue: reads the folder, reloads new or changed files, drops removed ones. */
  private async scan(folder: string): Promise<void> {
    if (this.closed || folder !== this.folderPath) return;
    let files: string[];
    let ino: number;
    try {
      const info = await stat(folder);
      if (!info.isDirectory()) throw Object.assign(new Error(`${folder} is not a folder`), { code: 'ENOTDIR' });
      ino = info.ino;
      files = await definitionFileNames(folder);
    } catch (err) {
      this.goMissing(folder, err as NodeJS.ErrnoException);
      return;
    }
    let dirty = false;
    if (this.status?.state !== 'watching' || this.watchedIno !== ino) {
      // Back from missing, or replaced by a new folder of the same name: watch the new one.
      this.stopWatching();
      this.status = { path: folder, state: 'watching' };
      this.startWatching(folder, ino);
      dirty = true;
    }
    const next = new Map<string, UserDefinition>();
    for (const name of files) {
      const file = join(folder, name);
      const stamp = await stampOf(file);
      if (stamp === undefined) continue;
      const previous = this.entries.get(file);
      if (previous?.stamp === stamp) {
        next.set(file, previous);
        continue;
      }
      next.set(file, await loadUserDefinition(file, stamp, this.confirmed));
      dirty = true;
    }
    if (this.closed || folder !== this.folderPath) return;
    if (next.size !== this.entries.size || [...this.entries.keys()].some((file) => !next.has(file))) dirty = true;
    this.entries = next;
    this.status = {
      path: folder,
      state: 'watching',
      listingHash: listingHashOf(
        [...next.values()]
          .filter((e): e is UserDefinition & { sha256: string } => e.sha256 !== undefined)
          .map((e) => ({ name: basename(e.file), sha256: e.sha256 })),
      ),
    };
    if (dirty) this.changed();
  }

  private startWatching(folder: string, ino: number): void {
    try {
      // Not persistent: an idle watcher must not keep the process alive.
      this.watcher = watch(folder, { persistent: false }, () => this.schedule());
      this.watcher.on('error', () => this.schedule());
      this.watchedIno = ino;
    } catch (err) {
      this.options.log?.(`Cannot watch ${folder}: ${(err as Error).message}; changes are seen when a definition is used.`);
    }
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.rescan().catch((err: unknown) => this.options.log?.(`Reloading user definitions failed: ${(err as Error).message}`));
    }, this.debounceMs);
    this.debounce.unref();
  }

  private goMissing(folder: string, err: NodeJS.ErrnoException): void {
    const message =
      err.code === 'ENOENT' ? `${folder} does not exist (any more); its definitions come back when it does.` : `${folder} cannot be read: ${err.message}`;
    const wasMissing = this.status?.state === 'missing' && this.status.message === message;
    this.stopWatching();
    this.status = { path: folder, state: 'missing', message };
    if (!wasMissing || this.entries.size > 0) {
      this.entries = new Map();
      this.changed();
    }
    this.missingPoll = setTimeout(() => {
      this.missingPoll = undefined;
      void this.rescan();
    }, this.missingPollMs);
    this.missingPoll.unref();
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.watchedIno = undefined;
    clearTimeout(this.debounce);
    clearTimeout(this.missingPoll);
    this.debounce = undefined;
    this.missingPoll = undefined;
  }

  private changed(): void {
    this.changes += 1;
    for (const listener of this.listeners) listener();
  }
}

async function stampOf(file: string): Promise<string | undefined> {
  try {
    const info = await stat(file);
    return info.isFile() ? `${info.mtimeMs}:${info.size}:${info.ino}:${info.ctimeMs}` : undefined;
  } catch {
    return undefined;
  }
}

/** A definition is a page or two of code; a bigger file is most likely not one (a bundle, a data file). */
const MAX_DEFINITION_BYTES = 1024 * 1024;

async function loadUserDefinition(file: string, stamp: string, confirmed: ConfirmedFiles): Promise<UserDefinition> {
  const name = userDefinitionName(file);
  let content: Buffer;
  try {
    const size = (await stat(file)).size;
    if (size > MAX_DEFINITION_BYTES) {
      return {
        name,
        file,
        source: '',
        stamp,
        size,
        sha256: await sha256OfFile(file),
        error: { message: `${basename(file)} is larger than 1 MB: not loaded as a definition.` },
      };
    }
    content = await readFile(file);
  } catch (err) {
    return { name, file, source: '', stamp, size: 0, error: { message: `Cannot read ${file}: ${(err as Error).message}` } };
  }
  const known = { name, file, stamp, size: content.length, sha256: sha256Of(content) };
  // Checked on the bytes read here, the ones that would run: never on an earlier listing.
  const approved = confirmed.get(basename(file));
  if (approved !== known.sha256) return { ...known, source: '', awaiting: approved === undefined ? 'new' : 'changed' };
  const source = content.toString('utf8');
  if (!USER_DEFINITION_NAME.test(name)) {
    return {
      ...known,
      source,
      error: { message: `"${basename(file)}" cannot name a definition: use letters, digits, ".", "-" and "_" (starting with a letter, digit or "_").` },
    };
  }
  // The sandbox names stack frames after this, so errors point at `definition:<file>:<line>`.
  const inspection = await inspectDefinition({ name: basename(file), source });
  return inspection.ok ? { ...known, source, info: inspection.info } : { ...known, source, error: inspection.error };
}
