/**
 * Decrypted views for profiles that may read the subjects' keys: browse, its
 * exports and time travel show personal fields sealed per subject (AES-256-GCM)
 * in clear, `[shredded]` where crypto-shredding deleted the key, and the sealed
 * envelope with a note where the profile may not decrypt. Opening happens here,
 * in the main process, with the compliance engine's key cache and decryptor;
 * the renderer gets values plus marks saying which fields were opened.
 */
import type pg from 'pg';
import type { PersonalDataMarks } from '../../../src-shared/schemas/browse';
import type { PersonalDataMap } from '../../../src-shared/schemas/compliance';
import { isSealedField, type SubjectKey } from './sealed-fields';
import type { EventStore, StoredEventView } from '../../stores/event-store';
import type { AuditLog } from '../audit/audit-log';
import { KeyCache, openAll, postgresKeyLoader, type SealedOutcome } from '../compliance/pg-subject-data';
import { SubjectKeyCache } from './subject-key-cache';
import { ENGINE_AUDIT_RECORDS } from '../../../src-shared/schemas/audit';

export const NOT_ALLOWED_NOTE = 'encrypted personal data (this profile may not decrypt)';
export const NO_KEY_TABLE_NOTE = 'encrypted personal data (no table of subject keys is known for this connection)';
/** The reference system's key table, used when no confirmed personal-data map names one. */
const REFERENCE_KEY_STORE = { table: 'subject_keys', subjectColumn: 'subject_id', keyIdColumn: 'key_id', keyColumn: 'key_material' } as const;
/** Subjects named per audit record at most; the count is always exact. */
const MAX_AUDITED_SUBJECTS = 200;

export type KeyStoreSpec = NonNullable<PersonalDataMap['keyStore']>;
export type MarkedEvent<E extends StoredEventView = StoredEventView> = E & { personalData?: PersonalDataMarks };

export interface DecryptedViewsDeps {
  mayDecrypt(connectionId: string): Promise<boolean>;
  kind(connectionId: string): Promise<string>;
  pool(connectionId: string): Promise<pg.Pool>;
  /** The key table of the connection's confirmed personal-data map, if any. */
  confirmedKeyStore(connectionId: string): Promise<KeyStoreSpec | null | undefined>;
  audit: AuditLog;
  user: string;
  /** The connections' key caches (each connection scope's own); one cache for all when absent. */
  keys?: SubjectKeys;
}

/** Where a connection's subject keys are cached, and how a crypto-shred reaches every cache. */
export interface SubjectKeys {
  of(connectionId: string): SubjectKeyCache;
  forgetSubjects(subjectIds: readonly string[]): void;
}

function sharedKeys(): SubjectKeys {
  const cache = new SubjectKeyCache();
  return { of: () => cache, forgetSubjects: (subjectIds) => cache.forgetSubjects(subjectIds) };
}

export class DecryptedViews {
  private readonly keys: SubjectKeys;

  constructor(private readonly deps: DecryptedViewsDeps) {
    this.keys = deps.keys ?? sharedKeys();
  }

  /** What one view (a page, a replay, an export) may do with sealed fields, and what it did. */
  async session(connectionId: string): Promise<DecryptionSession> {
    if (!(await this.deps.mayDecrypt(connectionId))) return new DecryptionSession(connectionId, undefined, NOT_ALLOWED_NOTE, this.deps);
    const keyStore = await this.keyStoreOf(connectionId);
    if (!keyStore) return new DecryptionSession(connectionId, undefined, NO_KEY_TABLE_NOTE, this.deps);
    const pool = await this.deps.pool(connectionId);
    const load = postgresKeyLoader(pool, { keyStore });
    return new DecryptionSession(connectionId, new KeyCache((keyId) => this.keys.of(connectionId).get(connectionId, keyId, load)), undefined, this.deps);
  }

  /** A crypto-shred deleted these subjects' keys: they must stop opening at once, whichever profile reads them. */
  forgetSubjects(subjectIds: readonly string[]): void {
    this.keys.forgetSubjects(subjectIds);
  }

  private async keyStoreOf(connectionId: string): Promise<KeyStoreSpec | undefined> {
    if ((await this.deps.kind(connectionId)) !== 'postgres') return undefined;
    const confirmed = await this.deps.confirmedKeyStore(connectionId).catch(() => undefined);
    if (confirmed) return confirmed;
    const pool = await this.deps.pool(connectionId);
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = ANY($2::text[])`,
      [REFERENCE_KEY_STORE.table, [REFERENCE_KEY_STORE.subjectColumn, REFERENCE_KEY_STORE.keyIdColumn, REFERENCE_KEY_STORE.keyColumn]],
    );
    return Number(rows[0]?.n) === 3 ? REFERENCE_KEY_STORE : undefined;
  }
}

/**
 * One view's decryption: opens sealed fields when the profile may (`keys` set),
 * marks them either way, and remembers whose data it opened for the audit record.
 */
export class DecryptionSession {
  readonly subjects = new Set<string>();
  decryptedFields = 0;
  shreddedFields = 0;
  /** Sealed fields met while the profile may not decrypt (or no key table is known). */
  encryptedFields = 0;

  constructor(
    readonly connectionId: string,
    private readonly keys: KeyCache | undefined,
    readonly note: string | undefined,
    private readonly deps: Pick<DecryptedViewsDeps, 'audit' | 'user'>,
  ) {}

  get mode(): 'decrypted' | 'encrypted' {
    return this.keys ? 'decrypted' : 'encrypted';
  }

  /** Events with sealed fields opened (or left as they are) and marked. */
  async events<E extends StoredEventView>(events: readonly E[]): Promise<MarkedEvent<E>[]> {
    return Promise.all(events.map((event) => this.event(event)));
  }

  async event<E extends StoredEventView>(event: E): Promise<MarkedEvent<E>> {
    const fields: PersonalDataMarks['fields'] = [];
    if (!this.keys) {
      for (const part of ['data', 'metadata'] as const) for (const path of sealedPaths(event[part], [part])) fields.push({ path, state: 'encrypted' });
      if (fields.length === 0) return event;
      this.encryptedFields += fields.length;
      return { ...event, personalData: { fields, ...(this.note ? { note: this.note } : {}) } };
    }
    const outcomes: SealedOutcome[] = [];
    const data = await this.open(event.data, 'data', outcomes);
    const metadata = await this.open(event.metadata, 'metadata', outcomes);
    if (outcomes.length === 0) return event;
    for (const outcome of outcomes) fields.push({ path: outcome.path, state: outcome.state });
    return { ...event, data, metadata, personalData: { fields } };
  }

  /** Any JSON value (a stored snapshot's state) with its sealed fields opened; unchanged when the profile may not decrypt. */
  async value(value: unknown): Promise<unknown> {
    if (!this.keys) return value;
    return this.open(value, '', []);
  }

  /**
   * The store as time travel reads it in this view: streams decrypted. The replay
   * fast path (payloads spliced unparsed into the sandbox) is left out, since
   * every sealed field must pass through here.
   */
  store(store: EventStore): EventStore {
    if (!this.keys) return store;
    const open = async <P extends { events: StoredEventView[] }>(page: P): Promise<P> => ({ ...page, events: await this.events(page.events) });
    const view: EventStore = {
      histogram: (options) => store.histogram(options),
      largestStreams: (limit) => store.largestStreams(limit),
      describe: () => store.describe(),
      listStreams: (options) => store.listStreams(options),
      readStream: async (streamId, options) => open(await store.readStream(streamId, options)),
      readFeed: async (options) => open(await store.readFeed(options)),
      headPosition: () => store.headPosition(),
      close: () => store.close(),
    };
    if (store.positionRanges) view.positionRanges = () => store.positionRanges!();
    return view;
  }

  /**
   * One audit record for a view that opened personal data: which subjects, how
   * many fields, never the values. Nothing is recorded when nothing was opened.
   */
  async audit(view: string, target: string, details: Record<string, unknown> = {}): Promise<void> {
    if (this.subjects.size === 0 && this.shreddedFields === 0) return;
    const subjects = [...this.subjects].sort();
    await this.deps.audit.append({
      at: new Date().toISOString(),
      user: this.deps.user,
      operation: ENGINE_AUDIT_RECORDS.personalDataDecrypted,
      target,
      reason: `Personal data shown decrypted in ${view}`,
      dryRun: false,
      outcome: 'ok',
      details: {
        view,
        connectionId: this.connectionId,
        subjects: subjects.slice(0, MAX_AUDITED_SUBJECTS),
        subjectCount: subjects.length,
        decryptedFields: this.decryptedFields,
        shreddedFields: this.shreddedFields,
        ...details,
      },
    });
  }

  /** Subjects audited so far can be left out of a later record of the same view (a live tail). */
  takeAudited(): void {
    this.subjects.clear();
    this.decryptedFields = 0;
    this.shreddedFields = 0;
  }

  private async open(value: unknown, root: string, outcomes: SealedOutcome[]): Promise<unknown> {
    const keys = this.keys!;
    const local: SealedOutcome[] = [];
    const opened = await openAll(value, keys, root, (outcome) => local.push(outcome), root ? [root] : []);
    for (const outcome of local) {
      if (outcome.state === 'decrypted') {
        this.decryptedFields += 1;
        const key: SubjectKey | null = await keys.get(outcome.sealed.kid);
        if (key) this.subjects.add(key.subjectId);
      } else {
        this.shreddedFields += 1;
      }
    }
    outcomes.push(...local);
    return opened;
  }
}

/** Paths of the sealed fields inside a value. */
function sealedPaths(value: unknown, path: (string | number)[]): (string | number)[][] {
  if (isSealedField(value)) return [path];
  if (typeof value !== 'object' || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => sealedPaths(item, [...path, i]));
  return Object.entries(value).flatMap(([key, item]) => sealedPaths(item, [...path, key]));
}
