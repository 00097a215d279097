import { z } from 'zod';
import { changeFields, profileId } from './common';
import { topicName } from './kafka';

const hostName = z
  .string()
  .trim()
  .min(1, 'host is required')
  .max(255)
  .regex(/^[A-Za-z0-9._:[\]-]+$/, 'host must be a host name or an IP address');
const port = z.number().int('port must be a whole number').min(1, 'port must be between 1 and 65535').max(65535, 'port must be between 1 and 65535');
const timeoutMs = z.number().int().min(500, 'timeout must be at least 500 ms').max(120_000, 'timeout must be at most 120 s');
const pemOrEmpty = z.string().max(100_000).optional();

export const postgresSettings = z.strictObject({
  kind: z.literal('postgres'),
  host: hostName,
  port: port.default(5432),
  database: z.string().trim().min(1, 'database is required').max(63),
  user: z.string().trim().min(1, 'user is required').max(63),
  /** disable: plain TCP; require: TLS without verifying the certificate; verify-full: TLS verified against `ca` or the system roots. */
  sslMode: z.enum(['disable', 'require', 'verify-full']).default('disable'),
  ca: pemOrEmpty,
  schema: z.string().trim().min(1).max(63).default('public'),
  connectTimeoutMs: timeoutMs.default(5000),
});

export const mongoSettings = z.strictObject({
  kind: z.literal('mongo'),
  /** mongodb:// or mongodb+srv:// URI; a password in it is moved to the secret store. */
  uri: z
    .string()
    .trim()
    .min(1, 'uri is required')
    .max(2000)
    .regex(/^mongodb(\+srv)?:\/\//, 'uri must start with mongodb:// or mongodb+srv://')
    // A space would end the URI where logs and the audit log mask its password: write it as %20.
    .regex(/^\S*$/, 'uri must not contain spaces or line breaks (write a space in a password as %20)'),
  database: z.string().trim().min(1, 'database is required').max(63),
  user: z.string().trim().max(255).optional(),
  tls: z.boolean().default(false),
  ca: pemOrEmpty,
  connectTimeoutMs: timeoutMs.default(5000),
});

const brokerAddress = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._-]+:\d{1,5}$/, 'each broker must be written host:port');

export const kafkaSettings = z.strictObject({
  kind: z.literal('kafka'),
  brokers: z.array(brokerAddress).min(1, 'at least one bootstrap server is required').max(50),
  clientId: z.string().trim().min(1).max(100).default('chronoscope'),
  tls: z.boolean().default(false),
  ca: pemOrEmpty,
  rejectUnauthorized: z.boolean().default(true),
  sasl: z
    .strictObject({
      mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
      username: z.string().trim().min(1, 'sasl username is required').max(255),
    })
    .optional(),
  connectTimeoutMs: timeoutMs.default(5000),
});

export const connectionSettings = z.discriminatedUnion('kind', [postgresSettings, mongoSettings, kafkaSettings]);
export type ConnectionSettings = z.output<typeof connectionSettings>;
export type ConnectionKind = ConnectionSettings['kind'];

/**
 * A Kafka profile's pipeline: the event store whose outbox its relay publishes to this
 * cluster. The Kafka screens open events and measure the pipeline against it.
 */
export const kafkaPipelineLink = z.strictObject({
  eventStoreProfileId: profileId,
  /** The topics the relay writes; absent: every topic of the cluster. */
  topics: z.array(topicName).min(1).max(100).optional(),
});
export type KafkaPipelineLink = z.output<typeof kafkaPipelineLink>;

const profileName = z.string().trim().min(1, 'name is required').max(80, 'name is limited to 80 characters');
/** Write-only: accepted on add/update/test, never returned. */
const secret = z.string().max(10_000).optional();

export const connectionsAddInput = z.strictObject({
  name: profileName,
  settings: connectionSettings,
  readOnly: z.boolean().default(true),
  /** Browse and time travel open sealed personal data with the subjects' keys (main process only); off unless granted. */
  mayDecryptPersonalData: z.boolean().default(false),
  /** Kafka profiles only. */
  pipeline: kafkaPipelineLink.optional(),
  secret,
  ...changeFields,
});

export const connectionsUpdateInput = z.strictObject({
  id: profileId,
  name: profileName.optional(),
  settings: connectionSettings.optional(),
  readOnly: z.boolean().optional(),
  mayDecryptPersonalData: z.boolean().optional(),
  /** Kafka profiles only; null removes the link. */
  pipeline: kafkaPipelineLink.nullable().optional(),
  secret,
  /** Forget the stored secret (e.g. a rotated password). */
  clearSecret: z.boolean().optional(),
  ...changeFields,
});

export const connectionsRemoveInput = z.strictObject({ id: profileId, ...changeFields });

export const connectionsTestInput = z.union([
  z.strictObject({ id: profileId }),
  /** Edited settings of a saved profile, tested with its stored secret unless one is typed. */
  z.strictObject({ id: profileId, settings: connectionSettings, secret }),
  z.strictObject({ settings: connectionSettings, secret }),
]);

export const connectionsStatusInput = z.strictObject({
  intervalMs: z.number().int().min(1000).max(300_000).default(5000),
});

export type SecretStorage = 'encrypted' | 'memory' | 'environment' | 'none';

export const connectionView = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['postgres', 'mongo', 'kafka']),
  builtin: z.boolean(),
  readOnly: z.boolean(),
  /** May read the subjects' keys to show sealed personal data in clear. */
  mayDecryptPersonalData: z.boolean(),
  settings: connectionSettings,
  /** Kafka profiles: the event store linked to the cluster, if declared. */
  pipeline: kafkaPipelineLink.optional(),
  /** Where the secret lives; the secret itself never leaves the main process. */
  secretStorage: z.enum(['encrypted', 'memory', 'environment', 'none']),
  needsSecret: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ConnectionView = z.output<typeof connectionView>;

export const connectionTestResult = z.object({
  ok: z.boolean(),
  rttMs: z.number().optional(),
  serverVersion: z.string().optional(),
  clusterId: z.string().optional(),
  details: z.record(z.string(), z.string()).optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type ConnectionTestResult = z.output<typeof connectionTestResult>;

export const connectionStatus = z.object({
  id: z.string(),
  state: z.enum(['connected', 'error', 'needs-secret', 'checking']),
  rttMs: z.number().optional(),
  message: z.string().optional(),
  checkedAt: z.string(),
});
export type ConnectionStatus = z.output<typeof connectionStatus>;
