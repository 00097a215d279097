import { Long, type Db, type Document } from 'mongodb';
import { checkPosition } from '../../event-store';
import type { CheckpointKey, CheckpointStore, CheckpointTransaction, CheckpointView, SetPositionResult } from '../../ports/checkpoint-store';
import { CompanionLayoutError } from '../../ports/errors';
import type { DocumentCheckpointLayout } from '../../ports/layouts';
import { refuseBadDocumentNames } from '../names';
import { requireCollection } from './collection-exists';

const DIGITS = /^\d{1,20}$/;

/** A stored position as a decimal string, whatever BSON type holds it; null when it is not a whole number. */
function positionText(value: unknown): string | null {
  if (typeof value === 'string') return DIGITS.test(value) ? value : null;
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? String(value) : null;
  if (value instanceof Long) return value.isNegative() ? null : value.toString();
  if (typeof value === 'bigint') return value >= 0n ? value.toString() : null;
  return null;
}

/** `next` in the BSON type the document already uses (the reference system keeps strings). */
function sameType(previous: unknown, next: string): unknown {
  if (typeof previous === 'number' && BigInt(next) <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(next);
  if (previous instanceof Long || typeof previous === 'number') return Long.fromString(next);
  return next;
}

/**
 * One document per projector (and source): the reference system's Mongo
 * `checkpoints`. The compare-and-set is an `updateOne` matching the exact stored value.
 * There is no transaction to join (FerretDB has none): each write is its own
 * compare-and-set, and holding a position (next = expected) only checks and stamps it.
 */
export class DocumentCheckpoints implements CheckpointStore {
  /** Each write is its own compare-and-set: FerretDB has no transactions. */
  readonly atomic = false;
  private constructor(
    private readonly db: Db,
    private readonly layout: DocumentCheckpointLayout,
  ) {}

  static async open(db: Db, layout: DocumentCheckpointLayout): Promise<DocumentCheckpoints> {
    // A custom mapping's names become filter and sort keys: `$`-names would be read as operators.
    refuseBadDocumentNames(layout);
    await requireCollection(db, layout.collection, `${layout.kind} checkpoints`);
    return new DocumentCheckpoints(db, layout);
  }

  private get collection() {
    return this.db.collection<Document>(this.layout.collection);
  }

  sources(): string[] {
    return [`${this.db.databaseName}.${this.layout.collection}`];
  }

  stores(): string[] {
    return [this.layout.collection];
  }

  transaction<T>(work: (store: CheckpointStore) => Promise<T>): Promise<T> {
    return work(this);
  }

  joining(_client: CheckpointTransaction): CheckpointStore {
    throw new CompanionLayoutError(`${this.layout.collection} is a MongoDB collection: its checkpoints cannot join a PostgreSQL transaction.`);
  }

  async list(): Promise<CheckpointView[]> {
    const f = this.layout.fields;
    const docs = await this.collection
      .find({})
      .sort({ [f.name]: 1, ...(f.source ? { [f.source]: 1 } : {}) })
      .toArray();
    return docs.map((d) => this.view(d));
  }

  async read(key: CheckpointKey): Promise<CheckpointView | null> {
    if (key.store !== this.layout.collection) return null;
    const doc = await this.collection.findOne(this.filterOf(key));
    return doc ? this.view(doc) : null;
  }

  async setPosition(key: CheckpointKey, expected: string | null, next: string): Promise<SetPositionResult> {
    checkPosition(next, 'the new position');
    if (expected !== null) checkPosition(expected, 'the expected position');
    if (key.store !== this.layout.collection) throw new CompanionLayoutError(`${this.layout.collection} holds no checkpoint of ${JSON.stringify(key.store)}.`);
    const f = this.layout.fields;
    const filter = this.filterOf(key);
    const doc = await this.collection.findOne(filter);
    let applied = false;
    if (doc) {
      const stored: unknown = doc[f.position];
      if (stored !== undefined && stored !== null && positionText(stored) === null) {
        throw new CompanionLayoutError(
          `${this.layout.collection} document ${JSON.stringify(String(doc._id))} holds position ${JSON.stringify(stored)}, which is not a whole number: it is not reset.`,
        );
      }
      if (positionText(stored) === expected && next === expected) {
        // A hold: compared, not written (the updated-at field would make a stalled projector look alive).
        applied = true;
      } else if (positionText(stored) === expected) {
        const set = { [f.position]: sameType(stored, next), ...(f.updatedAt ? { [f.updatedAt]: new Date() } : {}) };
        const result = await this.collection.updateOne({ ...filter, [f.position]: stored ?? null }, { $set: set });
        applied = result.matchedCount === 1;
      }
    } else if (expected === null) {
      const fields = { ...this.keyFields(key), [f.position]: next, ...(f.updatedAt ? { [f.updatedAt]: new Date() } : {}) };
      try {
        await this.collection.insertOne(this.layout.idOf ? { _id: this.idOf(key) as never, ...fields } : fields);
        applied = true;
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
      }
    }
    const after = await this.read(key);
    return applied && after ? { outcome: 'applied', checkpoint: after } : { outcome: 'moved', checkpoint: after };
  }

  private idOf(key: CheckpointKey): string {
    return `${key.projector}${this.layout.idOf!.separator}${key.source}`;
  }

  private keyFields(key: CheckpointKey): Document {
    const f = this.layout.fields;
    return { [f.name]: key.projector, ...(f.source ? { [f.source]: key.source } : {}) };
  }

  private filterOf(key: CheckpointKey): Document {
    return this.layout.idOf ? { _id: this.idOf(key) } : this.keyFields(key);
  }

  private view(doc: Document): CheckpointView {
    const f = this.layout.fields;
    const stored: unknown = doc[f.position];
    const position = positionText(stored);
    const updated: unknown = f.updatedAt ? doc[f.updatedAt] : undefined;
    return {
      store: this.layout.collection,
      kind: this.layout.kind,
      projector: String(doc[f.name] ?? ''),
      source: f.source ? String(doc[f.source] ?? '') : '',
      role: 'projector',
      position,
      updatedAt: updated instanceof Date ? updated.toISOString() : typeof updated === 'string' ? updated : null,
      ...(position === null && stored !== undefined && stored !== null ? { extras: { unreadablePosition: String(stored) } } : {}),
    };
  }
}
