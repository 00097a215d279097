/**
 * Erasure cases in the data directory: `compliance/cases/<id>.json` (written
 * atomically, one writer at a time per case) and, beside it, the append-only list
 * of events a redaction changed (`<id>.changes.jsonl`: position, event id, paths,
 * SHA-256 after; never the erased values).
 */
import { randomUUID } from 'node:crypto';
import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChronoError } from '../../../src-shared/errors';
import { erasureCase, type ErasureCase } from '../../../src-shared/schemas/compliance';
import { readJsonIfExists, writeFileAtomic } from '../util/files';
import { SerialQueue } from '../util/serial-queue';
import type { RedactedEvent } from './pg-subject-data';

export class CaseStore {
  private readonly queue = new SerialQueue();

  constructor(private readonly dir: string) {}

  newId(): string {
    return `case-${randomUUID()}`;
  }

  async get(id: string): Promise<ErasureCase> {
    const saved = await readJsonIfExists<unknown>(this.path(id));
    if (saved === undefined) throw new ChronoError('not_found', `There is no erasure case ${id}.`, { id });
    return erasureCase.parse(saved);
  }

  async list(): Promise<ErasureCase[]> {
    let names: string[] = [];
    try {
      names = (await readdir(this.dir)).filter((n) => /^case-[A-Za-z0-9-]+\.json$/.test(n));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const cases = await Promise.all(names.map((n) => this.get(n.replace(/\.json$/, '')).catch(() => undefined)));
    return cases.filter((c): c is ErasureCase => c !== undefined).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async create(record: ErasureCase): Promise<ErasureCase> {
    await this.queue.run(() => writeFileAtomic(this.path(record.id), `${JSON.stringify(record, null, 1)}\n`));
    return record;
  }

  /** Reads, changes and writes a case under the store's lock, so concurrent steps never lose each other's fields. */
  update(id: string, change: (current: ErasureCase) => ErasureCase | void): Promise<ErasureCase> {
    return this.queue.run(async () => {
      const current = await this.get(id);
      const next = erasureCase.parse(change(current) ?? current);
      await writeFileAtomic(this.path(id), `${JSON.stringify(next, null, 1)}\n`);
      return next;
    });
  }

  /** Appends changed events durably (fsync) before they are written to the store. */
  async appendChanges(id: string, changes: readonly RedactedEvent[]): Promise<void> {
    if (changes.length === 0) return;
    const handle = await open(this.changesPath(id), 'a', 0o600);
    try {
      await handle.write(changes.map((c) => `${JSON.stringify(c)}\n`).join(''));
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** The changed events, once each (an entry written before a crash and again on the rerun counts once). */
  async changes(id: string): Promise<RedactedEvent[]> {
    let text = '';
    try {
      text = await readFile(this.changesPath(id), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const byEvent = new Map<string, RedactedEvent>();
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const change = JSON.parse(line) as RedactedEvent;
        byEvent.set(change.eventId, change);
      } catch {
        // A line cut by a crash mid-write: its batch is planned again on the rerun.
      }
    }
    return [...byEvent.values()].sort((a, b) => Number(BigInt(a.position) - BigInt(b.position)));
  }

  private path(id: string): string {
    if (!/^case-[A-Za-z0-9-]+$/.test(id)) throw new ChronoError('invalid_input', `"${id}" is not an erasure case id.`);
    return join(this.dir, `${id}.json`);
  }

  private changesPath(id: string): string {
    return this.path(id).replace(/\.json$/, '.changes.jsonl');
  }
}
