import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AuditRecord } from '../../../src-shared/schemas/audit';
import { redactSecretsDeep } from '../../../src-shared/redact-secrets';
import { canonicalJson } from '../util/canonical-json';
import { readJsonIfExists, writeFileAtomic } from '../util/files';
import { SerialQueue } from '../util/serial-queue';

export type AuditEntry = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>;

export interface AuditFilter {
  beforeSeq?: number;
  limit: number;
  operation?: string;
  outcome?: AuditRecord['outcome'];
  text?: string;
  dryRun?: boolean;
}

export interface VerifyReport {
  ok: boolean;
  checked: number;
  head?: { seq: number; hash: string };
  problems: { seq?: number; line?: number; problem: string }[];
}

const GENESIS = '0'.repeat(64);

export function hashRecord(record: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(record.prevHash).update('\n').update(canonicalJson(record)).digest('hex');
}

/**
 * Append-only, hash-chained audit log: one JSON record per line, each naming the
 * hash of the one before. A separate head file anchors the last record so that
 * deleting records at the end is detected too.
 */
export class AuditLog {
  private readonly file: string;
  private readonly headFile: string;
  private readonly queue = new SerialQueue();
  private head: { seq: number; hash: string } | undefined;

  constructor(directory: string) {
    this.file = join(directory, 'audit.jsonl');
    this.headFile = join(directory, 'audit-head.json');
  }

  get path(): string {
    return this.file;
  }

  async append(entry: AuditEntry): Promise<AuditRecord> {
    return this.queue.run(async () => {
      const head = await this.loadHead();
      const base = { ...entry, seq: head.seq + 1, prevHash: head.hash };
      const record: AuditRecord = { ...base, hash: hashRecord(base) };
      await mkdir(join(this.file, '..'), { recursive: true });
      const handle = await open(this.file, 'a', 0o600);
      try {
        await handle.write(`${JSON.stringify(record)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      this.head = { seq: record.seq, hash: record.hash };
      await writeFileAtomic(this.headFile, JSON.stringify(this.head));
      return record;
    });
  }

  /** Newest first, keyset-paged by seq; scans the file as a stream with a bounded buffer. */
  async list(filter: AuditFilter): Promise<{ records: AuditRecord[]; nextBeforeSeq?: number }> {
    const text = filter.text?.toLowerCase();
    const window: AuditRecord[] = [];
    let matchedBefore = 0;
    for await (const { record } of this.readLines()) {
      if (!record) continue;
      if (filter.beforeSeq !== undefined && record.seq >= filter.beforeSeq) continue;
      if (filter.operation && record.operation !== filter.operation) continue;
      if (filter.outcome && record.outcome !== filter.outcome) continue;
      if (filter.dryRun !== undefined && record.dryRun !== filter.dryRun) continue;
      if (text && !searchableText(record).includes(text)) continue;
      window.push(record);
      if (window.length > filter.limit) {
        window.shift();
        matchedBefore += 1;
      }
    }
    const records = window.reverse();
    const last = records[records.length - 1];
    return matchedBefore > 0 && last ? { records, nextBeforeSeq: last.seq } : { records };
  }

  async verify(): Promise<VerifyReport> {
    const problems: VerifyReport['problems'] = [];
    let expected = { seq: 0, hash: GENESIS };
    let checked = 0;
    for await (const { line, record, parseError } of this.readLines()) {
      if (parseError || !record) {
        problems.push({ line, problem: `line ${line} is not a valid audit record` });
        continue;
      }
      checked += 1;
      const { hash, ...rest } = record;
      if (record.seq !== expected.seq + 1) {
        problems.push({ seq: record.seq, line, problem: `expected record ${expected.seq + 1}, found ${record.seq}: records were deleted or reordered` });
      } else if (record.prevHash !== expected.hash) {
        problems.push({ seq: record.seq, line, problem: `record ${record.seq} does not follow record ${expected.seq}: the chain is broken` });
      }
      if (hashRecord(rest) !== hash) {
        problems.push({ seq: record.seq, line, problem: `record ${record.seq} was modified after it was written` });
      }
      expected = { seq: record.seq, hash };
    }
    const anchored = await readJsonIfExists<{ seq: number; hash: string }>(this.headFile);
    if (anchored && (anchored.seq !== expected.seq || anchored.hash !== expected.hash)) {
      problems.push({
        seq: anchored.seq,
        problem:
          anchored.seq > expected.seq
            ? `the log ends at record ${expected.seq} but ${anchored.seq} were written: the last records were deleted`
            : `the last record (${expected.seq}) does not match the recorded head (${anchored.seq})`,
      });
    }
    return { ok: problems.length === 0, checked, head: expected.seq ? expected : undefined, problems };
  }

  private async loadHead(): Promise<{ seq: number; hash: string }> {
    if (this.head) return this.head;
    const anchored = await readJsonIfExists<{ seq: number; hash: string }>(this.headFile);
    if (anchored) return (this.head = anchored);
    // No head file (first run, or an older log): find the end of the chain by reading it.
    let last = { seq: 0, hash: GENESIS };
    for await (const { record } of this.readLines()) if (record) last = { seq: record.seq, hash: record.hash };
    return (this.head = last);
  }

  private async *readLines(): AsyncGenerator<{ line: number; record?: AuditRecord; parseError?: boolean }> {
    const stream = createReadStream(this.file, { encoding: 'utf8' });
    const opened = await new Promise<boolean>((resolve, reject) => {
      stream.once('open', () => resolve(true));
      stream.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? resolve(false) : reject(err)));
    });
    if (!opened) return;
    let line = 0;
    for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
      line += 1;
      if (!text.trim()) continue;
      try {
        yield { line, record: JSON.parse(text) as AuditRecord };
      } catch {
        yield { line, parseError: true };
      }
    }
  }
}

/**
 * What a text search looks in: operation, target, reason, user and the recorded input
 * (e.g. the stream or filter an export named), masked as `audit.list` shows it, so a
 * search never confirms a secret that an old record still holds.
 */
function searchableText(record: AuditRecord): string {
  const details = record.details ? JSON.stringify(redactSecretsDeep(record.details)) : '';
  return `${record.operation} ${record.target} ${record.reason} ${record.user} ${details}`.toLowerCase();
}
