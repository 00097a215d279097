import { Binary, Long, type Db, type Document, type Filter } from 'mongodb';
import { clampLimit, parseInstant } from '../../event-store';
import type { DocumentSnapshotLayout } from '../../ports/layouts';
import {
  decodeSnapshotCursor,
  encodeSnapshotCursor,
  snapshotRefusals,
  type ListSnapshotsOptions,
  type SnapshotStatePage,
  type SnapshotFilter,
  type SnapshotKey,
  type SnapshotPage,
  type SnapshotStore,
  type SnapshotView,
  type StoredSnapshot,
} from '../../ports/snapshot-store';
import { get } from '../mongo-event-store';
import { refuseBadDocumentNames } from '../names';
import { requireCollection } from './collection-exists';

/** Documents read per round while a size filter (which FerretDB cannot evaluate) is applied here. */
const SCAN_BATCH = 200;

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Snapshot documents (the reference system's Mongo `snapshots`), in keyset pages
 * on (stream id, version). Sizes are the bytes of the state's JSON text,
 * measured here: FerretDB has no `$bsonSize`, so size filters are applied while reading.
 */
export class DocumentSnapshots implements SnapshotStore {
  private constructor(
    private readonly db: Db,
    private readonly layout: DocumentSnapshotLayout,
  ) {}

  static async open(db: Db, layout: DocumentSnapshotLayout): Promise<DocumentSnapshots> {
    // A custom mapping's names become filter and sort keys: `$`-names would be read as operators.
    refuseBadDocumentNames(layout);
    await requireCollection(db, layout.collection, `${layout.kind} snapshots`);
    return new DocumentSnapshots(db, layout);
  }

  private get collection() {
    return this.db.collection<Document>(this.layout.collection);
  }

  source(): string {
    return `${this.db.databaseName}.${this.layout.collection}`;
  }

  async list(options: ListSnapshotsOptions = {}): Promise<SnapshotPage> {
    const { docs, nextCursor } = await this.scan(options);
    return { snapshots: docs.map((d) => this.view(d)), nextCursor };
  }

  async readPage(options: ListSnapshotsOptions = {}): Promise<SnapshotStatePage> {
    const { docs, nextCursor } = await this.scan(options);
    return { snapshots: docs.map((d) => this.stored(d)), nextCursor };
  }

  async count(filter: SnapshotFilter): Promise<number> {
    if (filter.minSizeBytes === undefined && filter.maxSizeBytes === undefined) return this.collection.countDocuments(this.filterOf(filter));
    let count = 0;
    let after: string | undefined;
    do {
      const page = await this.list({ ...filter, limit: 1000, ...(after ? { after } : {}) });
      count += page.snapshots.length;
      after = page.nextCursor ?? undefined;
    } while (after);
    return count;
  }

  async write(key: SnapshotKey, state: unknown): Promise<boolean> {
    const f = this.layout.fields;
    const current = await this.read(key);
    if (!current) return false;
    snapshotRefusals.notJson(current, this.source());
    const set: Document = { [f.state]: state };
    if (f.takenAt) set[f.takenAt] = new Date();
    const result = await this.collection.updateOne({ [f.streamId]: key.streamId, [f.version]: key.version }, { $set: set });
    return result.matchedCount === 1;
  }

  /** Documents of one page in (stream id, version) order; size filters applied here. */
  private async scan(options: ListSnapshotsOptions): Promise<{ docs: Document[]; nextCursor: string | null }> {
    const limit = clampLimit(options.limit);
    const f = this.layout.fields;
    let after = options.after !== undefined ? decodeSnapshotCursor(options.after) : undefined;
    const snapshots: Document[] = [];
    let more = false;
    for (;;) {
      const docs = await this.collection
        .find(this.filterOf(options, after))
        .sort({ [f.streamId]: 1, [f.version]: 1 })
        .limit(SCAN_BATCH)
        .toArray();
      for (const doc of docs) {
        const view = this.view(doc);
        after = view;
        if (!this.sizeMatches(view, options)) continue;
        if (snapshots.length === limit) {
          more = true;
          break;
        }
        snapshots.push(doc);
      }
      if (more || docs.length < SCAN_BATCH) break;
    }
    const last = snapshots[snapshots.length - 1];
    return { docs: snapshots, nextCursor: more && last ? encodeSnapshotCursor(this.view(last)) : null };
  }

  async read(key: SnapshotKey): Promise<StoredSnapshot | null> {
    const f = this.layout.fields;
    const doc = await this.collection.findOne({ [f.streamId]: key.streamId, [f.version]: key.version });
    return doc ? this.stored(doc) : null;
  }

  /** A snapshot with its state; binary states (and strings that are not JSON text) are not JSON. */
  private stored(doc: Document): StoredSnapshot {
    const raw: unknown = get(doc, this.layout.fields.state);
    if (raw instanceof Binary) return { ...this.view(doc), state: { hex: Buffer.from(raw.buffer).toString('hex') }, isJson: false };
    return { ...this.view(doc), state: raw, isJson: true };
  }

  async delete(key: SnapshotKey): Promise<boolean> {
    const f = this.layout.fields;
    const result = await this.collection.deleteOne({ [f.streamId]: key.streamId, [f.version]: key.version });
    return result.deletedCount === 1;
  }

  async deleteWhere(filter: SnapshotFilter, options: { dryRun: boolean }): Promise<{ count: number }> {
    snapshotRefusals.emptyDeleteFilter(filter);
    const bySize = filter.minSizeBytes !== undefined || filter.maxSizeBytes !== undefined;
    if (!bySize) {
      const query = this.filterOf(filter);
      if (options.dryRun) return { count: await this.collection.countDocuments(query) };
      return { count: (await this.collection.deleteMany(query)).deletedCount };
    }
    // Sizes are measured here: walk the matches page by page, deleting by key.
    let count = 0;
    let after: string | undefined;
    do {
      const page = await this.list({ ...filter, limit: 1000, ...(after ? { after } : {}) });
      count += page.snapshots.length;
      if (!options.dryRun) for (const s of page.snapshots) await this.delete(s);
      after = page.nextCursor ?? undefined;
    } while (after);
    return { count };
  }

  private filterOf(filter: SnapshotFilter, after?: SnapshotKey): Filter<Document> {
    const f = this.layout.fields;
    const and: Filter<Document>[] = [];
    if (filter.streamType !== undefined) {
      if (!f.streamType) throw snapshotRefusals.unkeptField(this.layout.collection, 'streamType');
      and.push({ [f.streamType]: filter.streamType });
    }
    if (filter.streamPrefix !== undefined) and.push({ [f.streamId]: { $regex: `^${escapeRegex(filter.streamPrefix)}` } });
    if (filter.takenBefore !== undefined) {
      if (!f.takenAt) throw snapshotRefusals.unkeptField(this.layout.collection, 'takenAt');
      and.push({ [f.takenAt]: { $lt: parseInstant(filter.takenBefore, 'takenBefore') } });
    }
    if (filter.versionBelow !== undefined) and.push({ [f.version]: { $lt: filter.versionBelow } });
    if (after) and.push({ $or: [{ [f.streamId]: { $gt: after.streamId } }, { [f.streamId]: after.streamId, [f.version]: { $gt: after.version } }] });
    return and.length === 0 ? {} : and.length === 1 ? and[0]! : { $and: and };
  }

  private sizeMatches(view: SnapshotView, filter: SnapshotFilter): boolean {
    return (
      (filter.minSizeBytes === undefined || view.sizeBytes >= filter.minSizeBytes) &&
      (filter.maxSizeBytes === undefined || view.sizeBytes <= filter.maxSizeBytes)
    );
  }

  private view(doc: Document): SnapshotView {
    const f = this.layout.fields;
    // Fields may be dotted paths (a custom mapping's `payload.state`).
    const version: unknown = get(doc, f.version);
    const takenAt: unknown = get(doc, f.takenAt);
    const schemaVersion: unknown = get(doc, f.schemaVersion);
    const state: unknown = get(doc, f.state);
    const streamType: unknown = get(doc, f.streamType);
    return {
      streamId: String(get(doc, f.streamId)),
      streamType: streamType !== undefined && streamType !== null ? String(streamType) : null,
      version: version instanceof Long ? version.toNumber() : Number(version),
      takenAt: takenAt instanceof Date ? takenAt.toISOString() : typeof takenAt === 'string' ? takenAt : null,
      sizeBytes: state === undefined ? 0 : Buffer.byteLength(JSON.stringify(state) ?? ''),
      schemaVersion: schemaVersion === undefined || schemaVersion === null ? null : String(schemaVersion),
    };
  }
}
