import { z } from 'zod';
import { changeFields, profileId } from './common';
import { PRESET_NAMES } from '../presets';

const position = z.string().regex(/^\d{1,20}$/, 'position must be a non-negative whole number');
const instant = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO-8601 date and time');
const limit = z.number().int().min(1).max(1000).default(100);
const streamId = z.string().min(1, 'stream id is required').max(1000);

export const presetName = z.enum([...PRESET_NAMES, 'custom']);

/** NUL ends a name in PostgreSQL and MongoDB alike: no name may hold one. */
const noNul = (text: string) => !text.includes('\u0000');
const NUL_MESSAGE = 'must not contain a NUL character';
const identifier = z.string().trim().min(1, 'is required').max(63, 'PostgreSQL names are at most 63 characters').refine(noNul, NUL_MESSAGE);
/** A mapping of a table nobody made a preset for; checked against the live schema before it is kept. */
export const customMapping = z.strictObject({
  schema: identifier.optional(),
  table: identifier,
  columns: z.strictObject({
    streamId: identifier,
    version: identifier,
    type: identifier,
    data: identifier,
    metadata: identifier.optional(),
    timestamp: identifier.optional(),
    eventId: identifier.optional(),
    position: identifier.optional(),
    streamType: identifier.optional(),
    correlationId: identifier.optional(),
    causationId: identifier.optional(),
  }),
  /** Correlation / causation read from keys of the metadata JSON when there are no columns for them. */
  metadataKeys: z
    .strictObject({
      correlationId: z.string().max(100).refine(noNul, NUL_MESSAGE).optional(),
      causationId: z.string().max(100).refine(noNul, NUL_MESSAGE).optional(),
    })
    .optional(),
  categoryFromStreamId: z.strictObject({ separator: z.string().min(1).max(5) }).optional(),
  /** Version of each stream's first event: 1 unless the table numbers positions from 0. */
  firstVersion: z.union([z.literal(0), z.literal(1)]).optional(),
});
export type CustomMapping = z.output<typeof customMapping>;
export type PresetNameInput = z.output<typeof presetName>;

export const storeCapabilities = z.object({
  backend: z.enum(['postgres', 'mongo']),
  preset: z.string(),
  source: z.string(),
  hasGlobalPosition: z.boolean(),
  hasCategory: z.boolean(),
  hasCorrelation: z.boolean(),
  hasCausation: z.boolean(),
  hasEventId: z.boolean(),
  hasTimestamp: z.boolean(),
  supportsNotify: z.boolean(),
  maxPageSize: z.number(),
  /** Version of a stream's first event: 1 for most stores, 0 where positions start at 0 (Message DB). */
  firstVersion: z.number(),
});

/**
 * Personal data sealed per subject (AES-256-GCM) found in an event, and what the
 * main process did with it: opened with the subject's key (`decrypted`), the key
 * deleted by crypto-shredding (`shredded`: the value reads "[shredded]"), or left
 * as its ciphertext envelope (`encrypted`: the profile may not decrypt, or no key table).
 */
export const personalDataMarks = z.object({
  fields: z.array(z.object({ path: z.array(z.union([z.string(), z.number()])), state: z.enum(['decrypted', 'shredded', 'encrypted']) })),
  /** Why fields stay encrypted, e.g. "encrypted personal data (this profile may not decrypt)". */
  note: z.string().optional(),
});
export type PersonalDataMarks = z.output<typeof personalDataMarks>;

export const storedEvent = z.object({
  streamId: z.string(),
  category: z.string().nullable(),
  version: z.number(),
  position: z.string().optional(),
  eventId: z.string().nullable(),
  type: z.string(),
  timestamp: z.string().nullable(),
  data: z.unknown(),
  metadata: z.unknown(),
  correlationId: z.string().optional(),
  causationId: z.string().optional(),
  /** Payloads left out of a browse read for their size (bytes of JSON text); export reads them in full. */
  omitted: z.object({ data: z.number().optional(), metadata: z.number().optional() }).optional(),
  /** Present when the event holds sealed personal fields: paths start at "data" or "metadata". */
  personalData: personalDataMarks.optional(),
});
export type StoredEvent = z.output<typeof storedEvent>;

export const storesDetectInput = z.strictObject({ connectionId: profileId });
export const storesDetectResult = z.object({
  /** The preset confirmed for this connection, if any. */
  confirmed: presetName.optional(),
  /** The confirmed custom mapping, when the confirmed preset is "custom". */
  confirmedCustom: customMapping.optional(),
  /** Presets that open on what was found, best first: each one can be confirmed. */
  candidates: z.array(
    z.object({ preset: z.string(), source: z.string(), confidence: z.number(), evidence: z.array(z.string()), missing: z.array(z.string()) }),
  ),
  /**
   * Tables shaped like a preset's that it cannot open as they are (key columns of the
   * wrong type, mapped columns missing): shown with the reasons, never offered to confirm.
   */
  nearMisses: z.array(
    z.object({
      preset: z.string(),
      source: z.string(),
      confidence: z.number(),
      reasons: z.array(z.string()).min(1),
      evidence: z.array(z.string()),
      missing: z.array(z.string()),
    }),
  ),
});

/** Tables (PostgreSQL) or collections (MongoDB) of a connection, for building a custom mapping. */
export const storesInspectInput = z.strictObject({
  connectionId: profileId,
  /** Documents sampled per MongoDB collection to learn its field names. */
  sampleSize: z.number().int().min(1, 'sample size must be at least 1').max(100, 'sample size is at most 100').default(20),
});
export const inspectedColumn = z.object({
  name: z.string(),
  /** PostgreSQL: the declared type (`format_type`); MongoDB: the BSON types seen in the sample, e.g. `string | null`. */
  dataType: z.string(),
  /** PostgreSQL: no NOT NULL constraint; MongoDB: missing or null in some sampled document. */
  nullable: z.boolean(),
});
export const inspectedTable = z.object({
  /** PostgreSQL schema; absent for MongoDB collections. */
  schema: z.string().optional(),
  name: z.string(),
  kind: z.enum(['table', 'view', 'collection']),
  /** From planner statistics or collection metadata, never a count(*); null when unknown. */
  approximateRows: z.number().nullable(),
  columns: z.array(inspectedColumn),
});
export const storesInspectResult = z.object({
  backend: z.enum(['postgres', 'mongo']),
  database: z.string(),
  tables: z.array(inspectedTable),
  /** More tables exist than were listed. */
  truncated: z.boolean(),
});
export type InspectedTable = z.output<typeof inspectedTable>;

export const storesConfigureInput = z
  .strictObject({
    connectionId: profileId,
    preset: presetName,
    /** Database schema holding the tables (PostgreSQL); the preset's default otherwise. */
    schema: z.string().trim().min(1).max(63).optional(),
    /** Required with preset "custom". */
    custom: customMapping.optional(),
    ...changeFields,
  })
  .refine((input) => (input.preset === 'custom') === (input.custom !== undefined), {
    message: 'a custom mapping goes with preset "custom", and only with it',
    path: ['custom'],
  });

export const storesDescribeInput = z.strictObject({ connectionId: profileId });

export const streamsListInput = z.strictObject({
  connectionId: profileId,
  category: z.string().max(255).optional(),
  idPrefix: z.string().max(255).optional(),
  search: z.string().max(255).optional(),
  after: z.string().max(2000).optional(),
  limit,
});
export const streamsListResult = z.object({
  streams: z.array(
    z.object({ streamId: z.string(), category: z.string().nullable(), eventCount: z.number(), lastVersion: z.number(), lastActivity: z.string().nullable() }),
  ),
  nextCursor: z.string().nullable(),
  advice: z.array(z.object({ message: z.string(), ddl: z.string().optional() })).optional(),
  /** The listing scanned for this long without an index and was stopped; `advice` says which index would serve it. */
  stoppedAfterMs: z.number().optional(),
});

export const streamsReadInput = z.strictObject({
  connectionId: profileId,
  streamId,
  fromVersion: z.number().int().min(0).optional(),
  toVersion: z.number().int().min(0).optional(),
  direction: z.enum(['forward', 'backward']).default('forward'),
  limit,
});
export const streamsReadResult = z.object({
  events: z.array(storedEvent),
  next: z
    .object({
      fromVersion: z.number().optional(),
      toVersion: z.number().optional(),
      direction: z.enum(['forward', 'backward']).optional(),
      limit: z.number().optional(),
    })
    .nullable(),
});

/** Every filter the feed screen offers: `feed.read` and a feed export take the same ones, so an export holds what the screen shows. */
const feedFilters = {
  afterPosition: position.optional(),
  eventTypes: z.array(z.string().min(1).max(255)).max(100).optional(),
  category: z.string().max(255).optional(),
  from: instant.optional(),
  to: instant.optional(),
  correlationId: z.string().min(1).max(500).optional(),
  causationId: z.string().min(1).max(500).optional(),
  field: z
    .strictObject({
      in: z.enum(['data', 'metadata']),
      path: z.array(z.string().min(1, 'path segments cannot be empty').max(200)).min(1, 'field path is required').max(20),
      op: z.enum(['equals', 'contains']),
      value: z.string().max(1000),
    })
    .optional(),
};

export const feedReadInput = z.strictObject({
  connectionId: profileId,
  ...feedFilters,
  limit,
});
export const indexAdvice = z.object({ message: z.string(), ddl: z.string().optional() });
export const feedReadResult = z.object({ events: z.array(storedEvent), nextAfterPosition: z.string().nullable(), advice: z.array(indexAdvice).optional() });

export const feedTailInput = z.strictObject({
  connectionId: profileId,
  /** Start after this position; from the current head when absent. */
  afterPosition: position.optional(),
  eventTypes: z.array(z.string().min(1).max(255)).max(100).optional(),
  category: z.string().max(255).optional(),
  streamId: streamId.optional(),
  correlationId: z.string().min(1).max(500).optional(),
  pollMs: z.number().int().min(100).max(60_000).default(500),
  /** Only where the store cannot report its transactions (MongoDB, a refused snapshot read): how long a hole may stay open before it counts as a rollback. */
  gapTimeoutMs: z.number().int().min(100).max(600_000).default(3000),
});
export const feedTailData = z.object({
  events: z.array(storedEvent),
  position: z.string(),
  /** How the tail learns of appends: `notify:<channel>` (LISTEN/NOTIFY) or `poll`. */
  mode: z.string().optional(),
  /**
   * How a hole in the positions is judged a rollback: once every transaction in flight
   * when it was seen has ended (`visibility`), or after it stayed open `afterMs` (`timeout`).
   */
  holes: z.discriminatedUnion('rule', [z.object({ rule: z.literal('visibility') }), z.object({ rule: z.literal('timeout'), afterMs: z.number() })]).optional(),
});

export const eventsExportInput = z.strictObject({
  connectionId: profileId,
  source: z.discriminatedUnion('kind', [z.strictObject({ kind: z.literal('stream'), streamId }), z.strictObject({ kind: z.literal('feed'), ...feedFilters })]),
  format: z.enum(['ndjson', 'csv']),
  /** Plain file name, written into the exports folder of the data directory. */
  fileName: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$/, 'file name may use letters, digits, ".", "_" and "-" only')
    // Names of the compliance reports and access exports: an event export must not pass for one.
    .refine(
      (name) => !/^(erasure-report-|access-)/i.test(name),
      'file names starting with "erasure-report-" or "access-" are kept for erasure reports and access exports; choose another name',
    )
    .optional(),
  /** Desktop app: ask where to save with the system's save dialog (the path never comes from the renderer). */
  saveAs: z.boolean().optional(),
  ...changeFields,
});
export const eventsExportResult = z.object({ fileName: z.string(), path: z.string(), events: z.number(), bytes: z.number() });

export const statsHistogramInput = z.strictObject({
  connectionId: profileId,
  from: instant,
  to: instant,
  bucket: z.enum(['minute', 'hour', 'day']),
  eventTypes: z.array(z.string().min(1).max(255)).max(100).optional(),
});
export const statsHistogramResult = z.object({
  /** One row per bucket start (ISO) and event type, with its count; empty buckets are omitted. */
  buckets: z.array(z.object({ at: z.string(), type: z.string(), count: z.number() })),
  /** Types present in the range, most frequent first. */
  types: z.array(z.string()),
  /** Rows were scanned up to a cap (stores without server-side grouping): counts cover the range only partly. */
  truncated: z.boolean(),
});

export const statsLargestStreamsInput = z.strictObject({ connectionId: profileId, limit: z.number().int().min(1).max(100).default(20) });
export const statsLargestStreamsResult = z.object({
  streams: z.array(z.object({ streamId: z.string(), category: z.string().nullable(), eventCount: z.number() })),
});
/** A count: exact when counting fitted the time budget, else the database's estimate. */
const figure = z.object({ count: z.number(), exact: z.boolean() });
export const statsStoreInput = z.strictObject({ connectionId: profileId });
export const statsStoreResult = z.object({
  /** Null where the layout has no cheap count (then the screen says so). */
  events: figure.nullable(),
  streams: figure.nullable(),
  /** The newest global position; null when the store has none (or no events). */
  head: z.string().nullable(),
  /** Events appended over the last `rateWindowMinutes` (by event time), per minute; null without timestamps. */
  ratePerMinute: z.number().nullable(),
  rateWindowMinutes: z.number(),
});
