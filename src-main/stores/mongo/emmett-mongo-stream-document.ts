import type { Db, Document } from 'mongodb';
import { EMMETT_COLLECTION_PREFIX, listStreamCollections, streamTypeOf } from './emmett-mongo-layout';
import { EmmettDocumentError } from './emmett-mongo-messages';

/** Where a stream's document lives, named in messages about it. */
export interface StreamLocation {
  streamName: string;
  category: string | null;
  collection: string;
}

/**
 * Reads parts of one stream document's `messages` array.
 *
 * FerretDB 1.24 has no `$slice` projection, no `$size` and no `$unwind` with
 * `includeArrayIndex`, so a part of the array is `$unwind` + `$skip` + `$limit`,
 * and only that part crosses into Node. FerretDB still loads the whole document
 * for any query that touches it (about 0.3 to 0.8 s for 2,500 messages), so each
 * read touches the document once when it can: the array-type check rides in the
 * same `$match`, and the slower diagnosis runs only when a read comes back empty.
 */
export class StreamDocuments {
  constructor(private readonly db: Db) {}

  /** Stream collections to try: `emt:<streamType>` first, then the shared ones. */
  private async candidates(streamName: string): Promise<string[]> {
    const names = await listStreamCollections(this.db);
    const own = `${EMMETT_COLLECTION_PREFIX}${streamTypeOf(streamName) ?? ''}`;
    return names.includes(own) ? [own, ...names.filter((n) => n !== own)] : names;
  }

  private unwound(streamName: string): Document[] {
    // Keep _id in the $project: FerretDB 1.24 panics on $unwind after a projection that drops it.
    return [{ $match: { streamName, messages: { $type: 'array' } } }, { $project: { messages: 1, 'metadata.streamType': 1 } }, { $unwind: '$messages' }];
  }

  /** `take` messages from array index `skip`; null when no collection has messages there. */
  async slice(streamName: string, skip: number, take: number): Promise<{ where: StreamLocation; messages: unknown[] } | null> {
    if (take <= 0) return null;
    for (const collection of await this.candidates(streamName)) {
      const rows = await this.db
        .collection(collection)
        .aggregate([...this.unwound(streamName), { $skip: skip }, { $limit: take }])
        .toArray();
      const first = rows[0];
      if (!first) continue;
      const streamType = (first.metadata as { streamType?: unknown } | undefined)?.streamType;
      const where = { streamName, category: typeof streamType === 'string' ? streamType : streamTypeOf(streamName), collection };
      return { where, messages: rows.map((row) => row.messages as unknown) };
    }
    return null;
  }

  /** Length of the array, counted by the server (FerretDB has no $size); 0 when no collection has messages for it. */
  async count(streamName: string): Promise<number> {
    for (const collection of await this.candidates(streamName)) {
      const [row] = await this.db
        .collection(collection)
        .aggregate<{ n: number }>([...this.unwound(streamName), { $count: 'n' }])
        .toArray();
      if (row) return row.n;
    }
    return 0;
  }

  /**
   * Called when a read found nothing: a missing stream or a range past its end is
   * an empty page, a document whose `messages` is not an array is an error naming it.
   */
  async assertReadable(streamName: string): Promise<void> {
    for (const collection of await this.candidates(streamName)) {
      const target = this.db.collection(collection);
      if (!(await target.findOne({ streamName }, { projection: { _id: 1 } }))) continue;
      if (await target.findOne({ streamName, messages: { $type: 'array' } }, { projection: { _id: 1 } })) return;
      const missing = !(await target.findOne({ streamName, messages: { $exists: true } }, { projection: { _id: 1 } }));
      throw new EmmettDocumentError(
        `stream ${streamName} in ${collection} ${missing ? 'has no "messages" field' : 'has a "messages" field that is not an array'}: this is not an Emmett stream document`,
      );
    }
  }
}
