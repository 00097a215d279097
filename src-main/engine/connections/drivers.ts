import { Kafka, logLevel, type Cluster, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import type pg from 'pg';
import type { ConnectionSettings } from '../../../src-shared/schemas/connections';
import { clusterOf } from '../kafka/cluster-of';

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
  const config = { ...kafkaConfig(settings, secret), retry: { retries } };
  // Copied first: kafkajs adds its SASL mechanism's functions to the config it is given.
  const plain = structuredClone(config);
  const kafka = new Kafka(config);
  configs.set(kafka, plain);
  return kafka;
}

/** The configs clients were made with: a worker thread makes its own client from the same (kafkajs clients cannot cross threads). */
const configs = new WeakMap<Kafka, KafkaConfig>();

/** The plain config a client of createKafka was made with (brokers, TLS, SASL with its secret, timeouts); undefined for other clients. */
export function kafkaConfigOf(kafka: Kafka): KafkaConfig | undefined {
  return configs.get(kafka);
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

/** A mongodb URI with any password removed (the password goes to the secret store). */
export { splitMongoUri } from '../../../src-shared/mongo-uri';
