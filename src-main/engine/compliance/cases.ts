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
import { erasureCase, type ErasureCase, type SentTombstone } from '../../../src-shared/schemas/compliance';
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
  appendChanges(id: string, changes: readonly RedactedEvent[]): Promise<void> {
    return appendLines(this.changesPath(id), changes);
  }

  /** Appends tombstones durably once the broker acknowledged them (a crash before this resends them: harmless). */
  appendTombstones(id: string, sent: readonly SentTombstone[]): Promise<void> {
    return appendLines(this.path(id).replace(/\.json$/, '.tombstones.jsonl'), sent);
  }

  /** The tombstones sent for the case, once per topic, partition and key. */
  async tombstones(id: string): Promise<SentTombstone[]> {
    const byKey = new Map<string, SentTombstone>();
    for (const line of (await readIfExists(this.path(id).replace(/\.json$/, '.tombstones.jsonl'))).split('\n')) {
      if (!line.trim()) continue;
      try {
        const sent = JSON.parse(line) as SentTombstone;
        byKey.set(`${sent.topic}\n${sent.partition}\n${sent.keySha256}`, sent);
      } catch {
        // A line cut by a crash mid-write: that tombstone is sent again on the rerun.
      }
    }
    return [...byKey.values()];
  }

  /** The changed events, once each (an entry written before a crash and again on the rerun counts once). */
  async changes(id: string): Promise<RedactedEvent[]> {
    const text = await readIfExists(this.changesPath(id));
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

async function appendLines(path: string, items: readonly unknown[]): Promise<void> {
  if (items.length === 0) return;
  const handle = await open(path, 'a', 0o600);
  try {
    await handle.write(items.map((c) => `${JSON.stringify(c)}\n`).join(''));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readIfExists(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return '';
  }
}
