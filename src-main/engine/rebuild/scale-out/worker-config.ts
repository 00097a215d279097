/**
 * What a scale-out worker process is given (on its standard input, never on its
 * command line or in its environment: it holds passwords): the rebuild, and how to
 * reach the target database and the Kafka cluster, as driver settings.
 */
import { z } from 'zod';

export const workerConfigSchema = z.object({
  rebuildId: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'rebuildId: letters, digits, - and _ only'),
  /** pg.ClientConfig: host, port, database, user, password, ssl ... (or connectionString). */
  postgres: z.looseObject({}),
  /** kafkajs KafkaConfig: brokers, ssl, sasl ... */
  kafka: z.looseObject({ brokers: z.array(z.string().min(1)).min(1, 'kafka.brokers: name at least one broker') }),
  /** Bytes fetched per partition and batch (a batch is one transaction on the shadow). */
  maxBytesPerPartition: z
    .number()
    .int()
    .min(65_536)
    .max(64 * 1024 * 1024)
    .optional(),
  /** How long the group waits for a silent worker before giving its partitions to the others. */
  sessionTimeoutMs: z.number().int().min(6000).max(300_000).optional(),
});

export type WorkerConfig = z.output<typeof workerConfigSchema>;

/** The config's problems as one sentence naming the fields. */
export function parseWorkerConfig(text: string): WorkerConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error('The worker expects its configuration as JSON on standard input: {"rebuildId", "postgres": {...}, "kafka": {"brokers": [...]}}.');
  }
  const parsed = workerConfigSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(`The worker configuration is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}.`);
  return parsed.data;
}
