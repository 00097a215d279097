import { Binary, ObjectId, type Db, type Document } from 'mongodb';

/** Most collections listed at once; a database with more says so (`truncated`). */
export const MAX_INSPECTED_COLLECTIONS = 200;

/** Object fields whose keys are listed too (`metadata.correlationId`), for correlation / causation keys. */
const NESTED_FIELDS = new Set(['metadata', 'meta', 'headers', 'metaData']);

export interface InspectedField {
  name: string;
  dataType: string;
  nullable: boolean;
}

export interface InspectedCollection {
  name: string;
  kind: 'collection';
  approximateRows: number | null;
  columns: InspectedField[];
}

export interface MongoInspection {
  database: string;
  tables: InspectedCollection[];
  truncated: boolean;
}

function bsonType(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return 'date';
  if (value instanceof ObjectId) return 'objectId';
  if (value instanceof Binary || Buffer.isBuffer(value)) return 'binData';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') {
    const tag = (value as { _bsontype?: unknown })._bsontype;
    return typeof tag === 'string' ? tag.toLowerCase() : 'object';
  }
  return typeof value;
}

/** Field names and the types seen in a sample of documents; top level plus the keys of metadata-like objects. */
export function sampleFields(docs: Document[]): InspectedField[] {
  const seen = new Map<string, { types: Set<string>; present: number }>();
  const note = (name: string, value: unknown) => {
    let entry = seen.get(name);
    if (!entry) seen.set(name, (entry = { types: new Set(), present: 0 }));
    entry.types.add(bsonType(value));
    if (value !== null && value !== undefined) entry.present += 1;
  };
  for (const doc of docs) {
    for (const [key, value] of Object.entries(doc)) {
      note(key, value);
      if (NESTED_FIELDS.has(key) && bsonType(value) === 'object') {
        for (const [inner, innerValue] of Object.entries(value as Record<string, unknown>)) note(`${key}.${inner}`, innerValue);
      }
    }
  }
  return [...seen].map(([name, { types, present }]) => ({
    name,
    dataType: [...types].filter((t) => t !== 'null').join(' | ') || 'null',
    nullable: present < docs.length,
  }));
}

/**
 * The collections of the database with the fields seen in their first `sampleSize`
 * documents; counts come from collection metadata (`estimatedDocumentCount`), never a scan.
 */
export async function inspectMongo(db: Db, sampleSize: number, maxCollections = MAX_INSPECTED_COLLECTIONS): Promise<MongoInspection> {
  const names = (await db.listCollections({}, { nameOnly: true }).toArray())
    .map((c) => c.name)
    .filter((name) => !name.startsWith('system.'))
    .sort();
  const listed = names.slice(0, maxCollections);
  const tables: InspectedCollection[] = [];
  for (const name of listed) {
    const collection = db.collection(name);
    const docs = await collection.find({}).limit(sampleSize).toArray();
    const approximateRows = await collection.estimatedDocumentCount().catch(() => null);
    tables.push({ name, kind: 'collection', approximateRows, columns: sampleFields(docs) });
  }
  return { database: db.databaseName, tables, truncated: names.length > maxCollections };
}
