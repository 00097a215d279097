import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobState } from '../../../src-shared/schemas/jobs';
import { readJsonIfExists, writeFileAtomic } from '../util/files';

export interface JobProgress {
  done: number;
  total?: number;
  message?: string;
}

/** What is kept of a job in `jobs/<id>.json`: enough to list it after a restart and resume it. */
export interface JobRecord {
  id: string;
  kind: string;
  title: string;
  connectionIds: string[];
  params: Record<string, unknown>;
  state: JobState;
  progress: JobProgress;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
  /** False when resuming would fail the same way (see JobView). */
  retryable?: boolean;
  summary?: string;
  result?: unknown;
  /** The runner's resumable state, as last saved by `saveResumePoint()`. */
  resumePoint?: unknown;
}

const ID = /^[A-Za-z0-9_-]+$/;

/** Fields of records written by earlier versions. */
interface LegacyFields {
  /** The resume point, as versions before 2026-12 called it (a word now kept for projectors' positions). */
  checkpoint?: unknown;
}

/** A record of an earlier version in today's words, so its job still resumes where it stopped. */
function fromLegacy(record: JobRecord & LegacyFields): JobRecord {
  const { checkpoint, ...rest } = record;
  return checkpoint !== undefined && rest.resumePoint === undefined ? { ...rest, resumePoint: checkpoint } : rest;
}

/**
 * One JSON file per job in the data directory, each written atomically; writes
 * of one job are serialised so a later state never loses to an earlier one.
 */
export class JobRecords {
  private readonly writes = new Map<string, Promise<void>>();

  constructor(private readonly dir: string) {}

  save(record: JobRecord): Promise<void> {
    const text = `${JSON.stringify(record, null, 1)}\n`;
    const previous = this.writes.get(record.id) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => writeFileAtomic(this.path(record.id), text));
    this.writes.set(record.id, next);
    void next
      .finally(() => {
        if (this.writes.get(record.id) === next) this.writes.delete(record.id);
      })
      .catch(() => undefined);
    return next;
  }

  async remove(id: string): Promise<void> {
    await this.writes.get(id)?.catch(() => undefined);
    await rm(this.path(id), { force: true });
  }

  /** Every readable record; unreadable files are reported, not fatal. */
  async loadAll(onUnreadable: (file: string, err: unknown) => void): Promise<JobRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const records: JobRecord[] = [];
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      try {
        const record = await readJsonIfExists<JobRecord & LegacyFields>(join(this.dir, name));
        if (record && typeof record.id === 'string' && ID.test(record.id) && typeof record.kind === 'string') records.push(fromLegacy(record));
      } catch (err) {
        onUnreadable(name, err);
      }
    }
    return records;
  }

  /** Waits for every pending write (before shutting down). */
  async flush(): Promise<void> {
    await Promise.all([...this.writes.values()].map((w) => w.catch(() => undefined)));
  }

  private path(id: string): string {
    if (!ID.test(id)) throw new Error(`Invalid job id ${JSON.stringify(id)}`);
    return join(this.dir, `${id}.json`);
  }
}
