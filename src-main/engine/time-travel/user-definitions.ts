/**
 * The user's own projection definitions: the *.js files of one folder, each
 * validated in the sandbox, kept in memory with the source text it was
 * validated from, and reloaded when the folder changes (fs.watch, debounced).
 * A folder that disappears is polled until it comes back.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { USER_DEFINITION_NAME } from '../../../src-shared/schemas/time-travel';
import { SerialQueue } from '../util/serial-queue';
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
}

export interface FolderStatus {
  path: string;
  state: 'watching' | 'missing';
  message?: string;
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

  /** Switches to a folder (or to none) and loads its definitions before it returns. */
  setFolder(path: string | null): Promise<void> {
    return this.queue.run(async () => {
      this.stopWatching();
      this.folderPath = path ?? undefined;
      this.status = path ? { path, state: 'watching' } : null;
      this.entries = new Map();
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
      files = (await readdir(folder, { withFileTypes: true })).filter((d) => !d.isDirectory() && d.name.endsWith('.js')).map((d) => d.name);
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
    for (const name of files.sort()) {
      const file = join(folder, name);
      const stamp = await stampOf(file);
      if (stamp === undefined) continue;
      const previous = this.entries.get(file);
      if (previous?.stamp === stamp) {
        next.set(file, previous);
        continue;
      }
      next.set(file, await loadUserDefinition(file, stamp));
      dirty = true;
    }
    if (this.closed || folder !== this.folderPath) return;
    if (next.size !== this.entries.size || [...this.entries.keys()].some((file) => !next.has(file))) dirty = true;
    this.entries = next;
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
    const message = err.code === 'ENOENT' ? `${folder} does not exist (any more); its definitions come back when it does.` : `${folder} cannot be read: ${err.message}`;
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
    return info.isFile() ? `${info.mtimeMs}:${info.size}:${info.ino}` : undefined;
  } catch {
    return undefined;
  }
}

/** A definition is a page or two of code; a bigger file is most likely not one (a bundle, a data file). */
const MAX_DEFINITION_BYTES = 1024 * 1024;

async function loadUserDefinition(file: string, stamp: string): Promise<UserDefinition> {
  const name = userDefinitionName(file);
  let source: string;
  try {
    if ((await stat(file)).size > MAX_DEFINITION_BYTES) return { name, file, source: '', stamp, error: { message: `${basename(file)} is larger than 1 MB: not loaded as a definition.` } };
    source = await readFile(file, 'utf8');
  } catch (err) {
    return { name, file, source: '', stamp, error: { message: `Cannot read ${file}: ${(err as Error).message}` } };
  }
  if (!USER_DEFINITION_NAME.test(name)) {
    return { name, file, source, stamp, error: { message: `"${basename(file)}" cannot name a definition: use letters, digits, ".", "-" and "_" (starting with a letter, digit or "_").` } };
  }
  // The sandbox names stack frames after this, so errors point at `definition:<file>:<line>`.
  const inspection = await inspectDefinition({ name: basename(file), source });
  return inspection.ok ? { name, file, source, stamp, info: inspection.info } : { name, file, source, stamp, error: inspection.error };
}
