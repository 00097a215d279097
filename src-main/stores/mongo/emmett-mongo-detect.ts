import type { Db, Document } from 'mongodb';
import { EMMETT_COLLECTION_PREFIX, isRecord, listStreamCollections } from './emmett-mongo-layout';

export interface EmmettMongoProposal {
  /** The stream collections the store would read. */
  collections: string[];
  confidence: number;
  evidence: string[];
  missing: string[];
}

/**
 * Top-level keys, with `[]` for arrays and the keys of `metadata` one level down
 * (`metadata{streamId, ...}`); payloads stay opaque.
 */
function shapeOf(doc: Record<string, unknown>, skip: string[] = []): string {
  return Object.entries(doc)
    .filter(([key]) => !skip.includes(key))
    .map(([key, value]) => (Array.isArray(value) ? `${key}[]` : key === 'metadata' && isRecord(value) ? `${key}{${Object.keys(value).join(', ')}}` : key))
    .join(', ');
}

/**
 * Proposes preset 'emmett-mongo' when the database has `emt:` stream collections,
 * with evidence: the collections, the unique index on `streamName`, and the shape
 * of one stream document and of its first message (sampled without loading the
 * whole `messages` array into Node).
 */
export async function detectEmmettMongo(db: Db): Promise<EmmettMongoProposal[]> {
  const collections = await listStreamCollections(db);
  if (collections.length === 0) return [];
  const evidence = [`stream collections ${collections.join(', ')}`];
  const missing: string[] = [];
  let score = 0.5;

  const unindexed: string[] = [];
  for (const name of collections) {
    const indexes = await db.collection(name).listIndexes().toArray();
    if (!indexes.some((index: Document) => index.unique === true && Object.keys(index.key as Document).join() === 'streamName')) unindexed.push(name);
  }
  if (unindexed.length === 0) {
    score += 0.2;
    evidence.push('unique index on streamName in every stream collection');
  } else missing.push(`unique index on streamName in ${unindexed.join(', ')}`);

  const sample = await sampleStream(db, collections);
  if (!sample) {
    evidence.push('stream collections are empty: document shape not confirmed');
  } else {
    const { collection, doc, message } = sample;
    evidence.push(`${collection} document ${String(doc.streamName)}: ${shapeOf(doc, ['_id'])}`);
    const metadata = isRecord(doc.metadata) ? doc.metadata : {};
    const expected = ['streamName', 'metadata.streamType', 'metadata.streamPosition'];
    const absent = expected.filter((path) => (path.startsWith('metadata.') ? metadata[path.slice(9)] : doc[path]) === undefined);
    if (isRecord(message)) evidence.push(`its first message: ${shapeOf(message)}`);
    else absent.push('messages[] (an array of {type, data, metadata})');
    if (isRecord(message) && typeof message.type !== 'string') absent.push('messages[].type');
    missing.push(...absent.map((path) => `field ${path}`));
    score += absent.length === 0 ? 0.3 : 0;
  }
  if ((await db.listCollections({ name: `${EMMETT_COLLECTION_PREFIX}processors` }, { nameOnly: true }).toArray()).length > 0) {
    evidence.push(`processor checkpoints in ${EMMETT_COLLECTION_PREFIX}processors`);
  }
  return [{ collections, confidence: Math.round(score * 100) / 100, evidence, missing }];
}

/** The first stream document found, without messages and projections, plus its first message. */
async function sampleStream(db: Db, collections: string[]): Promise<{ collection: string; doc: Document; message: unknown } | null> {
  for (const name of collections) {
    const collection = db.collection(name);
    const [doc] = await collection
      .find({}, { projection: { messages: 0, projections: 0 } })
      .limit(1)
      .toArray();
    if (!doc) continue;
    // Same pipeline as a stream read: FerretDB 1.24 has no $slice projection.
    const [row] = await collection
      .aggregate([{ $match: { _id: doc._id, messages: { $type: 'array' } } }, { $project: { messages: 1 } }, { $unwind: '$messages' }, { $limit: 1 }])
      .toArray();
    return { collection: name, doc, message: row?.messages };
  }
  return null;
}
