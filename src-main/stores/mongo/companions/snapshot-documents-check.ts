import { Binary, Double, Int32, Long, type Db, type Document } from 'mongodb';
import { CompanionLayoutError } from '../../ports/errors';
import type { DocumentSnapshotLayout } from '../../ports/layouts';
import { refuseBadDocumentNames } from '../names';
import { get } from '../mongo-event-store';
import { requireCollection } from './collection-exists';

/** Documents read to check a mapping (an empty collection proves nothing either way). */
const SAMPLE = 20;

function describe(value: unknown): string {
  if (value instanceof Binary) return 'binary data';
  if (typeof value === 'string') return `text (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  return typeof value === 'object' ? 'a document' : `a ${typeof value}`;
}

function isWholeNumber(value: unknown): boolean {
  if (value instanceof Long || value instanceof Int32) return true;
  const n = value instanceof Double ? value.value : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function isJsonDocument(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !(value instanceof Binary) && !(value instanceof Date) && !(value instanceof Long);
}

/**
 * A custom snapshot collection checked against what it holds: names MongoDB accepts, the
 * collection exists, and in its first documents every mapped field occurs, the version
 * is a whole number and the state a JSON document (not text, binary or a number).
 * Throws a CompanionLayoutError naming each problem.
 */
export async function checkSnapshotDocuments(db: Db, layout: DocumentSnapshotLayout): Promise<void> {
  refuseBadDocumentNames(layout);
  await requireCollection(db, layout.collection, 'snapshots');
  const docs = await db.collection<Document>(layout.collection).find({}).limit(SAMPLE).toArray();
  const problems: string[] = [];
  if (docs.length === 0) return;
  const where = `${db.databaseName}.${layout.collection}`;
  const f = layout.fields;
  for (const [role, path] of Object.entries(f)) {
    if (path !== undefined && !docs.some((doc) => get(doc, path) !== undefined))
      problems.push(`field ${where}.${path} (${role}) does not occur in the first ${docs.length} documents`);
  }
  const badVersion = docs.find((doc) => get(doc, f.version) !== undefined && !isWholeNumber(get(doc, f.version)));
  if (badVersion)
    problems.push(
      `field ${where}.${f.version} (version) holds ${describe(get(badVersion, f.version))} in document ${String(badVersion._id)}, not a whole number: a snapshot version must be a number to compare it with the stream's`,
    );
  const badState = docs.find((doc) => get(doc, f.state) !== undefined && !isJsonDocument(get(doc, f.state)));
  if (badState)
    problems.push(
      `field ${where}.${f.state} (state) holds ${describe(get(badState, f.state))} in document ${String(badState._id)}, not a JSON document: Chronoscope compares and rewrites JSON states only`,
    );
  const badTime = f.takenAt
    ? docs.find((doc) => {
        const t = get(doc, f.takenAt);
        return t !== undefined && t !== null && !(t instanceof Date) && typeof t !== 'string';
      })
    : undefined;
  if (badTime && f.takenAt)
    problems.push(
      `field ${where}.${f.takenAt} (taken at) holds ${describe(get(badTime, f.takenAt))} in document ${String(badTime._id)}, not a date or ISO-8601 text`,
    );
  if (problems.length > 0) throw new CompanionLayoutError(`${problems.join('; ')}. Check the mapping against the collection.`, problems);
}
