import { createHash, createHmac } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AuditRecord } from '../../../src-shared/schemas/audit';
import { redactSecretsDeep } from '../../../src-shared/redact-secrets';
import { canonicalJson } from '../util/canonical-json';
import { readJsonIfExists, writeFileAtomic } from '../util/files';
import { SerialQueue } from '../util/serial-queue';
import { loadAuditKey, type AuditKey, type AuditKeyOptions } from './audit-key';

export type AuditEntry = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>;

export interface AuditLogOptions extends AuditKeyOptions {
  /** Where the chain's key is kept, outside the log (default: `<directory>-key.json` beside it). */
  keyFile?: string;
}

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
  keyedFrom?: number;
  unknownOutcomes?: number;
  problems: { seq?: number; line?: number; problem: string }[];
}

const GENESIS = '0'.repeat(64);

/** The unkeyed hash of records written before the chain had a key (older logs). */
export function hashRecord(record: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(record.prevHash).update('\n').update(canonicalJson(record)).digest('hex');
}

/**
 * The keyed hash: HMAC-SHA-256 with a key kept outside the log. Whoever can edit
 * the log but not read the key cannot re-chain it after deleting or changing records
 * (with plain SHA-256 anyone could recompute every hash after an edit).
 */
export function keyedHashRecord(record: Omit<AuditRecord, 'hash'>, key: Buffer): string {
  return createHmac('sha256', key).update(record.prevHash).update('\n').update(canonicalJson(record)).digest('hex');
}

/**
 * Append-only, hash-chained audit log: one JSON record per line, each naming the
 * keyed hash of the one before. A separate head file anchors the last record so that
 * deleting records at the end is detected too; the head can also be copied out
 * (erasure reports print it) to anchor the log somewhere its writer cannot reach.
 *
 * Changes are logged write-ahead: an intent (`pending`) before the change runs, an
 * outcome naming it after. An intent left without outcome (a crash) is answered with
 * `unknown` at the next start.
 */
export class AuditLog {
  private readonly file: string;
  private readonly headFile: string;
  private readonly keyFile: string;
  private readonly queue = new SerialQueue();
  private head: { seq: number; hash: string } | undefined;
  private key: Promise<AuditKey> | undefined;
  private closing: Promise<void> = Promise.resolve();
  /** Intents whose outcome is not written yet (changes running now). */
  private readonly openIntents = new Set<number>();

  constructor(
    directory: string,
    private readonly options: AuditLogOptions = {},
  ) {
    this.file = join(directory, 'audit.jsonl');
    this.headFile = join(directory, 'audit-head.json');
    this.keyFile = options.keyFile ?? join(dirname(directory), `${basename(directory)}-key.json`);
  }

  get path(): string {
    return this.file;
  }

  /** The last record's seq and hash (what an erasure report prints), or undefined for an empty log. */
  async currentHead(): Promise<{ seq: number; hash: string } | undefined> {
    const head = await this.queue.run(() => this.loadHead());
    return head.seq ? { ...head } : undefined;
  }

  async append(entry: AuditEntry): Promise<AuditRecord> {
    return this.queue.run(async () => {
      const head = await this.loadHead();
      const { key } = await this.keyOf(head.seq);
      const base = { ...entry, seq: head.seq + 1, prevHash: head.hash };
      const record: AuditRecord = { ...base, hash: keyedHashRecord(base, key) };
      await mkdir(join(this.file, '..'), { recursive: true });
      const handle = await open(this.file, 'a', 0o600);
      try {
        await handle.write(`${JSON.stringify(record)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      this.head = { seq: record.seq, hash: record.hash };
      await writeFileAtomic(this.headFile, JSON.stringify({ ...this.head, keyed: true }));
      if (record.outcome === 'pending') this.openIntents.add(record.seq);
      if (record.intentSeq !== undefined) this.openIntents.delete(record.intentSeq);
      return record;
    });
  }

  /**
   * Answers every intent of an earlier run that has no outcome with an `unknown` one
   * (call once at start, before new changes). `check` may look at the target and say
   * what it finds, recorded with it. Returns the intents answered.
   */
  closeUnfinished(check?: (intent: AuditRecord) => Promise<string | undefined>): Promise<AuditRecord[]> {
    const closing = this.answerUnfinished(check);
    // Readers see the log once the earlier run's unfinished changes are answered.
    this.closing = closing.then(
      () => undefined,
      () => undefined,
    );
    return closing;
  }

  private async answerUnfinished(check?: (intent: AuditRecord) => Promise<string | undefined>): Promise<AuditRecord[]> {
    const intents = new Map<number, AuditRecord>();
    for await (const { record } of this.readLines()) {
      if (!record) continue;
      if (record.outcome === 'pending') intents.set(record.seq, record);
      if (record.intentSeq !== undefined) intents.delete(record.intentSeq);
    }
    const unfinished = [...intents.values()].filter((intent) => !this.openIntents.has(intent.seq));
    for (const intent of unfinished) {
      const found = await check?.(intent).catch((err: unknown) => `The target could not be checked: ${(err as Error).message}`);
      await this.append({
        at: new Date().toISOString(),
        user: intent.user,
        operation: intent.operation,
        target: intent.target,
        reason: intent.reason,
        dryRun: false,
        outcome: 'unknown',
        intentSeq: intent.seq,
        details: {
          ...(intent.details ?? {}),
          message: `Chronoscope stopped after starting this change and before recording how it ended (intent #${intent.seq}, ${intent.at}). Check ${intent.target} to see whether it was applied.${found ? ` ${found}` : ''}`,
        },
      });
    }
    return unfinished;
  }

  /** Newest first, keyset-paged by seq; scans the file as a stream with a bounded buffer. */
  async list(filter: AuditFilter): Promise<{ records: AuditRecord[]; nextBeforeSeq?: number }> {
    await this.closing;
    const text = filter.text?.toLowerCase();
    const window: AuditRecord[] = [];
    let matchedBefore = 0;
    for await (const { record } of this.readLines()) {
      if (!record) continue;
      // An intent is shown while its change runs; once answered, its outcome record stands for both.
      if (record.outcome === 'pending' && filter.outcome !== 'pending' && !this.openIntents.has(record.seq)) continue;
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
    await this.closing;
    const problems: VerifyReport['problems'] = [];
    let expected = { seq: 0, hash: GENESIS };
    let checked = 0;
    let unknownOutcomes = 0;
    const { key, keyedFrom } = await this.queue.run(async () => this.keyOf((await this.loadHead()).seq));
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
      const recomputed = record.seq >= keyedFrom ? keyedHashRecord(rest, key) : hashRecord(rest);
      if (recomputed !== hash) {
        problems.push({ seq: record.seq, line, problem: `record ${record.seq} was modified after it was written, or the chain was rewritten without its key` });
      }
      if (record.outcome === 'unknown') unknownOutcomes += 1;
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
    return {
      ok: problems.length === 0,
      checked,
      head: expected.seq ? expected : undefined,
      ...(keyedFrom > 1 ? { keyedFrom } : {}),
      ...(unknownOutcomes ? { unknownOutcomes } : {}),
      problems,
    };
  }

  /** The chain's key; a log older than keys is keyed from its next record on. */
  private keyOf(headSeq: number): Promise<AuditKey> {
    this.key ??= readJsonIfExists<{ keyed?: boolean }>(this.headFile)
      .then((head) => loadAuditKey(this.keyFile, headSeq + 1, this.options, head?.keyed === true))
      .catch((err: unknown) => {
        // Not kept: the next call tries again (a key file restored from a backup, say).
        this.key = undefined;
        throw err;
      });
    return this.key;
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
