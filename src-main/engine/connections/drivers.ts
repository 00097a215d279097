import { Kafka, logLevel, type Cluster, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import type pg from 'pg';
import type { ConnectionSettings } from '../../../src-shared/schemas/connections';

type PostgresSettings = Extract<ConnectionSettings, { kind: 'postgres' }>;
type MongoSettings = Extract<ConnectionSettings, { kind: 'mongo' }>;
type KafkaSettings = Extract<ConnectionSettings, { kind: 'kafka' }>;

/** Driver configuration from a profile and its secret: the one place that turns settings into clients. */
export function postgresConfig(settings: PostgresSettings, secret: string | undefined): pg.ClientConfig {
  return {
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: settings.user,
    password: secret,
    ssl: settings.sslMode === 'disable' ? false : { rejectUnauthorized: settings.sslMode === 'verify-full', ...(settings.ca ? { ca: settings.ca } : {}) },
    connectionTimeoutMillis: settings.connectTimeoutMs,
    query_timeout: Math.max(settings.connectTimeoutMs * 6, 30_000),
    application_name: 'chronoscope',
  };
}

export function createMongoClient(settings: MongoSettings, secret: string | undefined): MongoClient {
  const options: MongoClientOptions = {
    serverSelectionTimeoutMS: settings.connectTimeoutMs,
    connectTimeoutMS: settings.connectTimeoutMs,
    appName: 'chronoscope',
    tls: settings.tls,
    ...(settings.ca ? { ca: settings.ca } : {}),
    ...(settings.user ? { auth: { username: settings.user, password: secret ?? '' } } : {}),
  };
  return new MongoClient(settings.uri, options);
}

export function kafkaConfig(settings: KafkaSettings, secret: string | undefined): KafkaConfig {
  const sasl: SASLOptions | undefined = settings.sasl
    ? ({ mechanism: settings.sasl.mechanism, username: settings.sasl.username, password: secret ?? '' } as SASLOptions)
    : undefined;
  return {
    clientId: settings.clientId,
    brokers: settings.brokers,
    ssl: settings.tls ? { rejectUnauthorized: settings.rejectUnauthorized, ...(settings.ca ? { ca: [settings.ca] } : {}) } : false,
    ...(sasl ? { sasl } : {}),
    connectionTimeout: settings.connectTimeoutMs,
    authenticationTimeout: settings.connectTimeoutMs,
    requestTimeout: Math.max(settings.connectTimeoutMs * 3, 15_000),
    logLevel: logLevel.NOTHING,
  };
}

export function createKafka(settings: KafkaSettings, secret: string | undefined, retries = 5): Kafka {
  return new Kafka({ ...kafkaConfig(settings, secret), retry: { retries } });
}

/**
 * A kafkajs Cluster, for broker-level requests kafkajs has no public call for
 * (a single Fetch at an offset, without joining a group). kafkajs builds the
 * clusters of its producers, consumers and admins with a private factory on the
 * client; its `Cluster` and `Broker` types are public. Never creates topics.
 */
export function createKafkaCluster(settings: KafkaSettings, secret: string | undefined): Cluster {
  return clusterOf(createKafka(settings, secret, 1));
}

/** A new Cluster of a kafkajs client (its own connections, with the client's brokers, TLS and SASL): see createKafkaCluster. */
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

/** A mongodb URI with any password removed (the password goes to the secret store). */
export { splitMongoUri } from '../../../src-shared/mongo-uri';
