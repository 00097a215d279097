import type { Db } from 'mongodb';
import type { CustomMapping } from '../../../src-shared/schemas/browse';
import { StoreCapabilityError, StoreInputError } from '../event-store';
import { MappingValidationError } from '../postgres/mapping';
import { get, type MongoEventMapping } from './mongo-event-store';
import { collectionNameProblem, fieldPathProblem } from './names';

/** Documents read to check that the mapped fields exist. */
const SAMPLE = 20;

/** Every bad name of a mapping, each with where it is: `columns.streamId "$where": ...`. */
function nameProblems(custom: CustomMapping): string[] {
  const shown = (name: string) => JSON.stringify(name);
  const problems: string[] = [];
  const table = collectionNameProblem(custom.table);
  if (table) problems.push(`table ${shown(custom.table)}: ${table}`);
  const paths: Array<[string, string | undefined]> = [
    ...Object.entries(custom.columns).map(([role, field]): [string, string | undefined] => [`columns.${role}`, field]),
    ...Object.entries(custom.metadataKeys ?? {}).map(([role, key]): [string, string | undefined] => [`metadataKeys.${role}`, key]),
  ];
  for (const [where, path] of paths) {
    if (path === undefined) continue;
    const problem = fieldPathProblem(path);
    if (problem) problems.push(`${where} ${shown(path)}: ${problem}`);
  }
  return problems;
}

/**
 * A custom mapping of a MongoDB collection: `table` names the collection, `columns`
 * the (dotted) field paths. Without an event id field, `_id` is the event id.
 * What this store cannot do (columns for correlation / causation, a category from
 * the stream id) is refused, named, rather than ignored.
 */
export function mongoCustomMapping(custom: CustomMapping): MongoEventMapping {
  const c = custom.columns;
  const badNames = nameProblems(custom);
  if (badNames.length) throw new StoreInputError(`${badNames.join('; ')}.`);
  const unsupported = [
    ...(custom.schema ? ['a schema (collections have none)'] : []),
    ...(c.correlationId ? ['a correlation id field (use a metadata key)'] : []),
    ...(c.causationId ? ['a causation id field (use a metadata key)'] : []),
    ...(custom.categoryFromStreamId ? ['a category taken from the stream id (map a stream type field)'] : []),
  ];
  if (unsupported.length) {
    throw new StoreCapabilityError(`A MongoDB custom mapping cannot use ${unsupported.join(', ')}.`);
  }
  return {
    preset: 'custom',
    collection: custom.table,
    fields: {
      eventId: c.eventId ?? '_id',
      streamId: c.streamId,
      version: c.version,
      type: c.type,
      data: c.data,
      ...(c.streamType ? { streamType: c.streamType } : {}),
      ...(c.position ? { position: c.position } : {}),
      ...(c.timestamp ? { timestamp: c.timestamp } : {}),
      ...(c.metadata ? { metadata: c.metadata } : {}),
    },
    ...(custom.metadataKeys ? { metadataKeys: custom.metadataKeys } : {}),
    ...(custom.firstVersion !== undefined ? { firstVersion: custom.firstVersion } : {}),
  };
}

/** The collection exists and every mapped field occurs in its first documents (an empty collection proves nothing either way). */
export async function validateMongoMapping(db: Db, mapping: MongoEventMapping): Promise<void> {
  const where = `${db.databaseName}.${mapping.collection}`;
  const exists = (await db.listCollections({ name: mapping.collection }, { nameOnly: true }).toArray()).length > 0;
  if (!exists)
    throw new MappingValidationError(`Mapping 'custom' does not match the database: collection ${where} does not exist`, [
      `collection ${where} does not exist`,
    ]);
  const docs = await db.collection(mapping.collection).find({}).limit(SAMPLE).toArray();
  if (docs.length === 0) return;
  const problems = Object.values(mapping.fields)
    .filter((field): field is string => typeof field === 'string')
    .filter((field) => !docs.some((doc) => get(doc, field) !== undefined))
    .map((field) => `field ${where}.${field} does not occur in the first ${docs.length} documents`);
  if (problems.length) throw new MappingValidationError(`Mapping 'custom' does not match the database: ${problems.join('; ')}`, problems);
}
