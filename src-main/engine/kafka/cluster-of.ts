import type { Cluster, Kafka } from 'kafkajs';

/**
 * A new Cluster of a kafkajs client (its own connections, with the client's brokers, TLS
 * and SASL), for broker-level requests kafkajs has no public call for. kafkajs builds the
 * clusters of its producers, consumers and admins with a private factory on the client;
 * its `Cluster` and `Broker` types are public. Never creates topics.
 */
export function clusterOf(kafka: Kafka): Cluster {
  const factory = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const create = factory ? (kafka as unknown as Record<symbol, unknown>)[factory] : undefined;
  if (typeof create !== 'function') throw new Error('This kafkajs version does not expose its cluster factory.');
  return (create as (options: object) => Cluster)({
    metadataMaxAge: 300_000,
    allowAutoTopicCreation: false,
    maxInFlightRequests: null,
    instrumentationEmitter: null,
  });
}
