import type { Db } from 'mongodb';
import { CompanionNotFoundError } from '../../ports/errors';

/** A not-found sentence naming the collection and what it should have held. */
export async function requireCollection(db: Db, collection: string, what: string): Promise<void> {
  const found = await db.listCollections({ name: collection }, { nameOnly: true }).toArray();
  if (found.length === 0) throw new CompanionNotFoundError(`Collection ${db.databaseName}.${collection} does not exist: this database keeps no ${what} there.`);
}
