/**
 * A Mongo (or FerretDB) read model as drift verification reads it: documents keyed by
 * `_id`, compared in the JSON form the rebuild gives them (dates as ISO text), replayed
 * rows turned into documents the way the rebuild's shadow writes them.
 */
import type { Db, Document } from 'mongodb';
import { toDocument, toRow } from '../rebuild/mongo-target';
import type { LiveModel } from './live-model';

/** Keys per `$in` query. */
const KEY_CHUNK = 1000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

/** A seeded generator (mulberry32): a resumed sample draws the same keys. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mongoLiveModel(db: Db, model: string, dateFields: readonly string[]): LiveModel {
  const collection = db.collection(model);
  const find = async (keys: readonly string[], projection?: Document): Promise<Document[]> => {
    const out: Document[] = [];
    for (const chunk of chunks(keys, KEY_CHUNK))
      out.push(...(await collection.find({ _id: { $in: chunk as never[] } }, projection ? { projection } : {}).toArray()));
    return out;
  };
  return {
    rows: async (keys) => new Map((await find(keys)).map((d) => [String(d._id), toRow(d)])),
    present: async (keys) => new Set((await find(keys, { _id: 1 })).map((d) => String(d._id))),
    asStored: async (rows) => new Map([...rows].map(([key, row]) => [key, toRow(toDocument({ ...row, _id: key }, dateFields))])),
    count: () => collection.countDocuments(),
    async sampleKeys(count, seed) {
      // Reservoir sampling over the keys (FerretDB's $sample is not relied on): one pass over `_id` only.
      const random = seededRandom(seed);
      const chosen: string[] = [];
      let seen = 0;
      for await (const doc of collection.find({}, { projection: { _id: 1 } }).sort({ _id: 1 })) {
        seen += 1;
        if (chosen.length < count) chosen.push(String(doc._id));
        else {
          const j = Math.floor(random() * seen);
          if (j < count) chosen[j] = String(doc._id);
        }
      }
      return chosen;
    },
    async keysAfter(after, limit) {
      const docs = await collection
        .find(after === null ? {} : { _id: { $gt: after as never } }, { projection: { _id: 1 } })
        .sort({ _id: 1 })
        .limit(limit)
        .toArray();
      return docs.map((d) => String(d._id));
    },
  };
}
