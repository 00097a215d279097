/**
 * The subject's locations as the search job counts them: the store's (events,
 * snapshots, read models, key store) while its Kafka topics are scanned. The two
 * run side by side: the store's counts wait on the database, the topic scan on the
 * brokers, and a stepped scan of an unindexed events table would otherwise come
 * on top of the topic's time. Progress is the sum of both parts; when one part
 * fails, the other is stopped.
 */
import type { Kafka } from 'kafkajs';
import type { Inventory } from '../../../src-shared/schemas/compliance';
import { scanTopics, topicLocation, type TopicScope } from './kafka-subject-scan';
import type { ScanProgress } from './pg-subject-data';
import type { SubjectData } from './subject-data';

export interface SubjectLocations {
  /** Events, snapshots, read models, key store, then one per topic. */
  locations: Inventory['locations'];
  /** Events read by a stepped scan (0 when an index served the search). */
  scanned: number;
}

export async function subjectLocations(
  data: SubjectData,
  ids: string[],
  eventsIndexed: boolean,
  topics: { kafka: Kafka; scope: TopicScope } | undefined,
  scan: ScanProgress,
): Promise<SubjectLocations> {
  const stop = new AbortController();
  const signal = AbortSignal.any([scan.signal, stop.signal]);
  const parts = [
    { done: 0, total: 0 },
    { done: 0, total: 0 },
  ];
  const partProgress = (index: number): ScanProgress => ({
    signal,
    progress: (done, total, message) => {
      parts[index] = { done, total };
      scan.progress(
        parts.reduce((n, p) => n + p.done, 0),
        parts.reduce((n, p) => n + p.total, 0),
        message,
      );
    },
  });
  const stopOnFailure = <T>(work: Promise<T>) =>
    work.catch((err: unknown) => {
      stop.abort();
      throw err;
    });
  const store = stopOnFailure(
    (async () => {
      const events = await data.countEvents(ids, eventsIndexed, partProgress(0));
      signal.throwIfAborted();
      const snapshots = await data.countSnapshots(ids);
      const readModels = await data.countReadModels(ids);
      const keys = await data.countKeys(ids);
      return { locations: [events.location, ...(snapshots ? [snapshots] : []), ...readModels, ...(keys ? [keys] : [])], scanned: events.scanned };
    })(),
  );
  const topic = stopOnFailure(topics ? scanTopics(topics.kafka, topics.scope, ids, partProgress(1), data.keyCache()) : Promise.resolve([]));
  const [found, findings] = await Promise.allSettled([store, topic]);
  if (found.status === 'rejected') throw found.reason;
  if (findings.status === 'rejected') throw findings.reason;
  return { locations: [...found.value.locations, ...findings.value.map(topicLocation)], scanned: found.value.scanned };
}
