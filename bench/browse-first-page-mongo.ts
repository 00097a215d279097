/**
 * Time to the first page of the browse reads on MongoDB (FerretDB here), through
 * the EventStore port, on a store filled by the reference generator; and memory
 * while paging the feed.
 *   node --import tsx bench/browse-first-page-mongo.ts [--events 1000000] [--runs 15] [--page-through 200000]
 * The dataset is kept in database bench_browse_<events> on CHRONO_TEST_MONGO_URL's
 * server and reused by later runs (generation is the slow part).
 */
import { MongoClient } from 'mongodb';
import { parseArgs } from 'node:util';
import { generateEvents } from '../src-main/reference/generator/generate';
import { formatProgress } from '../src-main/reference/generator/progress';
import { writeToMongo } from '../src-main/reference/generator/write-mongo';
import { ensureMongoIndexes } from '../src-main/reference/mongo/event-store';
import { MongoEventStore } from '../src-main/stores/mongo/mongo-event-store';
import { printFeedPaging, printMedian } from './measure';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '15' }, 'page-through': { type: 'string', default: '200000' } },
});
const events = Number(values.events);
const runs = Number(values.runs);
const url = process.env.CHRONO_TEST_MONGO_URL ?? 'mongodb://127.0.0.1:57017/';
const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
await client.connect();
const db = client.db(`bench_browse_${events}`);

const stored = await db.collection('events').estimatedDocumentCount();
if (stored < events) {
  await db.dropDatabase();
  await ensureMongoIndexes(db);
  console.log(`generating ${events.toLocaleString('en-US')} events into ${db.databaseName} (kept for later runs)`);
  const started = performance.now();
  await writeToMongo(db, generateEvents({ events, seed: 7 }), { total: events, onProgress: (p) => process.stderr.write(`\r${formatProgress(p)}`) });
  process.stderr.write('\n');
  console.log(`  written in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

const store = new MongoEventStore(db);
const [longest] = await db
  .collection('events')
  .aggregate<{ _id: string; n: number }>([{ $group: { _id: '$aggregateId', n: { $sum: 1 } } }, { $sort: { n: -1 } }, { $limit: 1 }])
  .toArray();

console.log(
  `first page (100 rows) on FerretDB, ${runs} runs each, ${events.toLocaleString('en-US')} events; longest stream ${longest?._id} (${longest?.n.toLocaleString('en-US')} events)`,
);
await printMedian('stream list', runs, () => store.listStreams({ limit: 100 }));
await printMedian('stream list, id prefix filter', runs, () => store.listStreams({ idPrefix: 'acc', limit: 100 }));
if (longest) {
  await printMedian('longest stream, first page', runs, () => store.readStream(longest._id, { limit: 100 }));
  await printMedian('longest stream, last page', runs, () => store.readStream(longest._id, { direction: 'backward', limit: 100 }));
}
await printMedian('global feed', runs, () => store.readFeed({ limit: 100 }));
await printMedian('global feed filtered by type (PriceChanged)', runs, () => store.readFeed({ eventTypes: ['PriceChanged'], limit: 100 }));

await printFeedPaging(store, Number(values['page-through']));
await client.close();
