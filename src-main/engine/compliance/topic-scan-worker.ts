/** The worker thread of topic-read-thread.ts: reads one topic's range for the ids and answers with what it found. */
import { parentPort, workerData } from 'node:worker_threads';
import { Kafka } from 'kafkajs';
import { readTopic } from './topic-read';
import type { TopicReadJob, TopicReadMessage } from './topic-read-thread';

const port = parentPort;
if (!port) throw new Error('topic-scan-worker runs only as a worker thread');
const { config, topic, scope, ids } = workerData as TopicReadJob;
const stop = new AbortController();
port.on('message', (message) => {
  if (message === 'abort') stop.abort();
});
const answer = (message: TopicReadMessage) => port.postMessage(message);
readTopic(new Kafka(config), topic, scope, ids, {
  signal: stop.signal,
  progress: (done, total, message) => answer({ type: 'progress', done, total, message }),
}).then(
  (read) => answer({ type: 'done', read }),
  (err: unknown) => {
    const error = err as { name?: unknown; message?: unknown } | null;
    answer({ type: 'error', name: String(error?.name ?? 'Error'), message: String(error?.message ?? err) });
  },
);
