/**
 * A data subject's footprint in a MongoDB/FerretDB store of the reference layout
 * (`events` documents {aggregateId, type, data, metadata, position, timestamp},
 * `snapshots` {aggregateId, version, state, takenAt}, read-model collections), as
 * the personal-data map describes it. Same duties as the PostgreSQL side; there
 * is no key store here, so subjects are redacted rather than shredded.
 */
import { boundedBulkWrite } from '../../stores/mongo/bounded-bulk-write';
import type { Db, Document, Filter } from 'mongodb';
import { ChronoError } from '../../../src-shared/errors';
import type { Inventory, PersonalDataMap } from '../../../src-shared/schemas/compliance';
import { ERASED, getAt } from './json-paths';
import {
  KeyCache,
  ownsPersonalData,
  planFromRows,
  redactedForm,
  type RedactedForm,
  type RedactionBatch,
  type ScanProgress,
  type SubjectEventRow,
} from './pg-subject-data';
import type { SubjectData } from './subject-data';

const PAGE = 5_000;
const MAX_MENTIONS = 200;

const fieldOf = (path: string) => (path === 'streamId' ? 'aggregateId' : path);
const snapshotFieldOf = (path: string) => (path === 'aggregateId' ? 'aggregateId' : path);
const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : null);

export class MongoSubjectData implements SubjectData {
  constructor(
    private readonly db: Db,
    private readonly map: PersonalDataMap,
  ) {}

  private subjectFilter(ids: string[]): Filter<Document> {
    const paths = [...new Set(this.map.events.flatMap((e) => e.subjectPaths))];
    if (paths.length === 0)
      throw new ChronoError('invalid_input', 'The personal-data map names no subject path for any event type: confirm a map that says where subject ids are.');
    return { $or: paths.map((p) => ({ [fieldOf(p)]: { $in: ids } })) };
  }

  async indexAdvice(): Promise<Inventory['advice']> {
    const indexes = await this.db.collection('events').listIndexes().toArray();
    const leading = new Set(indexes.map((i) => Object.keys(i.key as Record<string, unknown>)[0]));
    return [...new Set(this.map.events.flatMap((e) => e.subjectPaths))]
      .filter((p) => !leading.has(fieldOf(p)))
      .map((p) => ({
        location: 'events',
        path: p,
        reason: `Finding a subject by ${p} reads every event: no index serves it.`,
        sql: `db.events.createIndex({ ${JSON.stringify(fieldOf(p))}: 1 })`,
      }));
  }

  /** Clear e-mails only, whether or not the profile may decrypt (`_decrypt`): this side has no key store. */
  async subjectsByEmail(email: string, scan: ScanProgress, _decrypt: boolean): Promise<string[]> {
    const wanted = email.trim().toLowerCase();
    const found = new Set<string>();
    for (const type of this.map.events) {
      for (const personal of type.personalPaths.filter((p) => /e-?mail$/i.test(p.path) && !p.sealed)) {
        scan.signal.throwIfAborted();
        // Clear e-mails only (no key store on this side): compared case-insensitively.
        const docs = await this.db
          .collection('events')
          .find({ type: type.eventType, [personal.path]: { $regex: `^${wanted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, $options: 'i' } })
          .limit(100)
          .toArray();
        for (const doc of docs) {
          for (const path of type.subjectPaths) {
            const id = path === 'streamId' ? doc.aggregateId : getAt(doc, path.split('.'));
            if (typeof id === 'string') found.add(id);
          }
        }
      }
    }
    return [...found];
  }

  async subjectsByIdentifier(identifier: string): Promise<string[]> {
    const docs = await this.db.collection('events').find({ aggregateId: identifier }).sort({ version: 1 }).limit(200).toArray();
    const found = new Set<string>();
    for (const doc of docs) {
      for (const path of this.map.events.find((e) => e.eventType === doc.type)?.subjectPaths ?? []) {
        const id = path === 'streamId' ? identifier : getAt(doc, path.split('.'));
        if (typeof id === 'string' && id) found.add(id);
      }
    }
    const streams = await this.db.collection('events').distinct('aggregateId', { aggregateId: { $in: [...found] } });
    return (streams as string[]).sort();
  }

  async countEvents(ids: string[], _indexed: boolean, scan: ScanProgress): Promise<{ location: Inventory['locations'][number]; scanned: number }> {
    const byType: Record<string, number> = {};
    let first: string | null = null;
    let last: string | null = null;
    let count = 0;
    for await (const doc of this.db.collection('events').find(this.subjectFilter(ids), { projection: { type: 1, timestamp: 1 } })) {
      if (count % PAGE === 0) scan.signal.throwIfAborted();
      count += 1;
      byType[doc.type as string] = (byType[doc.type as string] ?? 0) + 1;
      const at = iso(doc.timestamp);
      if (at && (first === null || at < first)) first = at;
      if (at && (last === null || at > last)) last = at;
    }
    return { location: { location: 'events', kind: 'events', count, firstSeen: first, lastSeen: last, byType }, scanned: 0 };
  }

  async findMentions(ids: string[], scan: ScanProgress): Promise<{ mentions: Inventory['mentions']; truncated: boolean }> {
    const total = await this.db.collection('events').estimatedDocumentCount();
    const mentions: Inventory['mentions'] = [];
    let truncated = false;
    let after = -Infinity;
    let scanned = 0;
    for (;;) {
      scan.signal.throwIfAborted();
      const docs = await this.db
        .collection('events')
        .find({ position: { $gt: after } })
        .sort({ position: 1 })
        .limit(PAGE)
        .toArray();
      if (docs.length === 0) break;
      for (const doc of docs) {
        const row = toRow(doc);
        const matched =
          this.map.events
            .find((e) => e.eventType === row.eventType)
            ?.subjectPaths.some((p) => ids.includes(String(p === 'streamId' ? row.streamId : getAt(doc, p.split('.'))))) ?? false;
        if (matched) continue;
        const inData = ids.some((id) => JSON.stringify(doc.data ?? null).includes(id));
        const inMetadata = ids.some((id) => JSON.stringify(doc.metadata ?? null).includes(id));
        if (!inData && !inMetadata) continue;
        if (mentions.length >= MAX_MENTIONS) truncated = true;
        else mentions.push({ position: row.position, streamId: row.streamId, eventType: row.eventType, where: inData ? 'data' : 'metadata' });
      }
      after = Number(docs[docs.length - 1]!.position);
      scanned += docs.length;
      scan.progress(scanned, total, `Looked for mentions of the subject in ${scanned} of ${total} events`);
    }
    return { mentions, truncated };
  }

  private snapshotFilter(ids: string[]): Filter<Document> | undefined {
    const paths = this.map.snapshots?.subjectPaths ?? [];
    return paths.length ? { $or: paths.map((p) => ({ [snapshotFieldOf(p)]: { $in: ids } })) } : undefined;
  }

  async countSnapshots(ids: string[]): Promise<Inventory['locations'][number] | undefined> {
    const filter = this.snapshotFilter(ids);
    if (!this.map.snapshots || !filter) return undefined;
    const docs = await this.db
      .collection(this.map.snapshots.table)
      .find(filter, { projection: { takenAt: 1 } })
      .toArray();
    const times = docs
      .map((d) => iso(d.takenAt))
      .filter((t): t is string => t !== null)
      .sort();
    return {
      location: this.map.snapshots.table,
      kind: 'snapshots',
      count: docs.length,
      firstSeen: times[0] ?? null,
      lastSeen: times[times.length - 1] ?? null,
    };
  }

  async countReadModels(ids: string[]): Promise<Inventory['locations']> {
    const out: Inventory['locations'] = [];
    for (const model of this.map.readModels) {
      const count = await this.db.collection(model.table).countDocuments({ [model.subjectColumn]: { $in: ids } });
      out.push({ location: model.table, kind: 'readModel', count, firstSeen: null, lastSeen: null, note: `by ${model.subjectColumn}; ${model.action}` });
    }
    return out;
  }

  async countKeys(): Promise<Inventory['locations'][number] | undefined> {
    return undefined;
  }

  async subjectEvents(ids: string[], afterPosition: string, limit: number): Promise<SubjectEventRow[]> {
    const docs = await this.db
      .collection('events')
      .find({ $and: [this.subjectFilter(ids), { position: { $gt: Number(afterPosition) } }] })
      .sort({ position: 1 })
      .limit(limit)
      .toArray();
    return docs.map(toRow);
  }

  async snapshotRows(ids: string[]): Promise<{ aggregateId: string; version: number; takenAt: string | null; state: unknown }[]> {
    const filter = this.snapshotFilter(ids);
    if (!this.map.snapshots || !filter) return [];
    const docs = await this.db.collection(this.map.snapshots.table).find(filter).sort({ aggregateId: 1, version: 1 }).toArray();
    return docs.map((d) => ({ aggregateId: String(d.aggregateId), version: Number(d.version), takenAt: iso(d.takenAt), state: d.state as unknown }));
  }

  async readModelRows(ids: string[]): Promise<{ table: string; rows: Record<string, unknown>[] }[]> {
    const out = [];
    for (const model of this.map.readModels)
      out.push({
        table: model.table,
        rows: await this.db
          .collection(model.table)
          .find({ [model.subjectColumn]: { $in: ids } })
          .toArray(),
      });
    return out;
  }

  keyCache(): KeyCache {
    return new KeyCache(async () => null);
  }

  async shred(): Promise<string[]> {
    throw new ChronoError('invalid_input', 'This MongoDB store keeps no per-subject keys: redact the subject instead.');
  }

  async keyIds(): Promise<string[]> {
    return [];
  }

  ownsPersonalData(row: SubjectEventRow, ids: readonly string[]): boolean {
    return ownsPersonalData(this.map, row, ids);
  }

  redactedForm(row: SubjectEventRow, ids: readonly string[]): RedactedForm {
    return redactedForm(this.map, row, ids);
  }

  /** A user without the update privilege is refused on a no-op update of one of the subject's events. */
  async updateRefusal(samplePosition: string | undefined): Promise<string | undefined> {
    if (samplePosition === undefined) return undefined;
    const events = this.db.collection('events');
    const doc = await events.findOne({ position: Number(samplePosition) });
    if (!doc) return undefined;
    try {
      await events.updateOne({ _id: doc._id }, { $set: { type: doc.type } });
      return undefined;
    } catch (err) {
      return `The events collection refuses updates: ${(err as Error).message}. Ask for a user allowed to update it, or keep the subject's data encrypted per subject so it can be shredded.`;
    }
  }

  async planRedaction(ids: string[], afterPosition: string, limit: number): Promise<RedactionBatch> {
    return planFromRows(this.map, await this.subjectEvents(ids, afterPosition, limit), ids);
  }

  async applyRedaction(batch: RedactionBatch): Promise<void> {
    if (batch.updates.length === 0) return;
    await boundedBulkWrite(
      this.db.collection('events'),
      batch.updates.map((u) => ({
        updateOne: {
          filter: { position: Number(u.position) },
          update: { $set: { data: JSON.parse(u.data) as unknown, metadata: JSON.parse(u.metadata) as unknown } },
        },
      })),
      { ordered: true },
    );
  }

  async purgeReadModels(ids: string[], dryRun: boolean): Promise<{ table: string; action: string; rows: number }[]> {
    const out = [];
    for (const model of this.map.readModels) {
      const filter = { [model.subjectColumn]: { $in: ids } };
      const collection = this.db.collection(model.table);
      if (dryRun) out.push({ table: model.table, action: model.action, rows: await collection.countDocuments(filter) });
      else if (model.action === 'delete' || model.personalColumns.length === 0)
        out.push({ table: model.table, action: 'delete', rows: (await collection.deleteMany(filter)).deletedCount });
      else {
        const set = Object.fromEntries(model.personalColumns.map((c) => [c, ERASED]));
        const notYet = { $or: model.personalColumns.map((c) => ({ [c]: { $ne: ERASED } })) };
        out.push({ table: model.table, action: 'anonymise', rows: (await collection.updateMany({ $and: [filter, notYet] }, { $set: set })).modifiedCount });
      }
    }
    return out;
  }

  async deleteSnapshots(ids: string[], dryRun: boolean): Promise<number> {
    const filter = this.snapshotFilter(ids);
    if (!this.map.snapshots || !filter) return 0;
    const collection = this.db.collection(this.map.snapshots.table);
    return dryRun ? collection.countDocuments(filter) : (await collection.deleteMany(filter)).deletedCount;
  }
}

function toRow(doc: Document): SubjectEventRow {
  return {
    position: String(doc.position),
    eventId: String(doc._id),
    streamId: String(doc.aggregateId),
    eventType: String(doc.type),
    timestamp: iso(doc.timestamp) ?? '',
    data: doc.data as unknown,
    metadata: doc.metadata as unknown,
  };
}

/** Event types and paths for a proposal, from the newest events of every type. */
export async function sampleMongoEvents(db: Db, sampleSize: number): Promise<{ event_type: string; event_data: unknown; metadata: unknown }[]> {
  const types = (await db.collection('events').distinct('type')) as string[];
  const perType = Math.max(5, Math.floor(sampleSize / Math.max(1, types.length)));
  const out: { event_type: string; event_data: unknown; metadata: unknown }[] = [];
  for (const type of types.slice(0, 1000)) {
    for (const doc of await db.collection('events').find({ type }).sort({ position: -1 }).limit(perType).toArray())
      out.push({ event_type: type, event_data: doc.data, metadata: doc.metadata });
  }
  return out;
}
