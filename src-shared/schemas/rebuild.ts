import { z } from 'zod';
import { changeFields, profileId } from './common';

/** A read model's table: a plain identifier (its shadow and backup names are derived from it). */
export const modelName = z
  .string()
  .trim()
  .min(1, 'model is required')
  .max(38, 'model names are limited to 38 characters (the shadow and backup names must fit 63)')
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'model must be a plain table name: letters, digits and _');

export const schemaName = z
  .string()
  .trim()
  .min(1)
  .max(63)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'schema must be a plain name: letters, digits and _')
  .default('public');

export const rebuildId = z
  .string()
  .trim()
  .min(1, 'rebuild id is required')
  .max(16)
  .regex(/^[a-z0-9]+$/, 'rebuild id may only contain lowercase letters and digits');

/** The built-in definition of the model (the reference projector's), a file of the user's definitions folder, or a user definition's source. */
export const readModelDefinitionInput = z.union([
  z.strictObject({ builtin: z.literal(true) }),
  /** A confirmed file of the definitions folder (the one time travel uses), by its `user:<file>` name: its text is read by the main process. */
  z.strictObject({
    folder: z
      .string()
      .trim()
      .regex(/^user:[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}$/, 'folder must name a definition of the folder as user:<file>'),
  }),
  z.strictObject({
    name: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_.-]+$/, 'definition name may only contain letters, digits, ".", "-" and "_"'),
    source: z.string().min(1).max(1_000_000, 'a definition is limited to 1 MB of source'),
  }),
]);

export const projectorCheckpoint = z.strictObject({
  name: z.string().trim().min(1).max(255),
  /** '' where the layout keeps one checkpoint per projector (Eventuous). */
  source: z.string().trim().max(255).default('events'),
  /** The checkpoint table / collection, where name and source are not enough (Emmett's processors and subscriptions). */
  store: z.string().trim().min(1).max(255).optional(),
});

export const rebuildRecordView = z.object({
  id: z.string(),
  schema: z.string(),
  model: z.string(),
  shadow: z.string(),
  definition: z.string(),
  position: z.string(),
  horizon: z.string().nullable(),
  events: z.number(),
  phase: z.enum(['loading', 'indexed', 'swapped', 'rolled_back', 'discarded']),
  beforeTable: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** A rebuild whose user definition declares its projector: the checkpoint its swap defaults to (null: none matches). */
  projector: z.object({ name: z.string(), source: z.string(), reason: z.string() }).nullable().optional(),
  /** A rolled-back rebuild's rebuilt rows, set aside in a table that still exists (it may hold personal data): dropped with `rebuilds.drop` `shadow`. */
  leftover: z
    .object({
      table: z.string(),
      rows: z.number(),
      /** Every table (collection) the roll back left, `table` first: a partial roll back leaves its shadow and the copy of the old rows. */
      tables: z.array(z.object({ table: z.string(), rows: z.number() })).optional(),
    })
    .nullable()
    .optional(),
});

export const catalogEntry = z.object({
  schema: z.string(),
  model: z.string(),
  /** A PostgreSQL table or a MongoDB collection. */
  kind: z.enum(['table', 'collection']),
  /** Estimated rows (the planner's count, cheap on big tables; counted when never analysed and small; -1 unknown). */
  rows: z.number(),
  /** The built-in definition that reproduces it, when there is one. */
  builtin: z.string().nullable(),
  /** Rebuilds of this model, newest first. */
  rebuilds: z.array(rebuildRecordView),
  /** The projector checkpoint that appears to keep this model (what the swap defaults to), and why; null when none does. */
  projector: z.object({ name: z.string(), source: z.string(), reason: z.string() }).nullable().default(null),
});

export const rebuildsCatalogInput = z.strictObject({ connectionId: profileId, schema: schemaName });
export const rebuildsCatalogResult = z.object({
  models: z.array(catalogEntry),
  checkpoints: z.array(z.object({ name: z.string(), source: z.string(), position: z.string(), store: z.string().optional() })),
});

const instant = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .refine((v) => !Number.isNaN(new Date(v).getTime()), 'must be an ISO-8601 instant, e.g. 2026-12-01T00:00:00Z');

/**
 * A partial rebuild's scope other than chosen ids: a category (the store's own: a
 * stream-type column, or the id prefix before its separator), a stream-id prefix, or
 * the streams touched by events of these types in [from, to). Resolved to stream ids
 * in the main process, at most 100,000.
 */
export const rebuildScopeInput = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('category'), category: z.string().trim().min(1, 'category is required').max(255) }),
  z.strictObject({ kind: z.literal('prefix'), prefix: z.string().min(1, 'prefix is required').max(255) }),
  z
    .strictObject({
      kind: z.literal('types'),
      eventTypes: z.array(z.string().trim().min(1).max(255)).min(1, 'choose at least one event type').max(50),
      from: instant,
      to: instant,
    })
    .refine((s) => new Date(s.from).getTime() < new Date(s.to).getTime(), { message: 'the time range must end after it starts', path: ['to'] }),
]);

export const rebuildsStartInput = z
  .strictObject({
    connectionId: profileId,
    schema: schemaName,
    model: modelName,
    definition: readModelDefinitionInput,
    /** After the load, keep folding new events (gap-safe) until the swap, so the swap has little left to fold. */
    follow: z.boolean().default(false),
    /** Partial rebuild: only these streams are replayed and only their keys replaced at the swap. */
    streamIds: z.array(z.string().min(1).max(255)).min(1).max(10_000).optional(),
    /** Partial rebuild of the streams a category, prefix or type-and-time range names. */
    scope: rebuildScopeInput.optional(),
    /** Scale-out on Kafka: the feed is published to a partitioned replay topic on this Kafka connection and applied by this many worker processes. */
    scaleOut: z.strictObject({ workers: z.number().int().min(1, 'at least 1 worker').max(16, 'at most 16 workers'), kafkaConnectionId: profileId }).optional(),
    reason: changeFields.reason,
    dryRun: changeFields.dryRun,
  })
  .refine((input) => !(input.streamIds && input.scope), { message: 'choose the streams either by id or by scope, not both', path: ['scope'] })
  .refine((input) => !(input.scaleOut && input.scope), {
    message: 'a partial rebuild runs in one process; leave out scaleOut or the scope',
    path: ['scaleOut'],
  })
  .refine((input) => !(input.follow && (input.streamIds || input.scope)), {
    message: 'a partial rebuild does not follow the head: its swap folds the newer events of its streams',
    path: ['follow'],
  });
export const rebuildsStartResult = z.object({
  rebuildId: z.string(),
  jobId: z.string().optional(),
  shadow: z.string(),
  /** A partial rebuild: what its scope named and how many streams it resolved to. */
  scope: z.object({ description: z.string(), streams: z.number() }).optional(),
});

/** Continues a rebuild whose job was cancelled (or failed) from its last committed batch, in a new job. */
export const rebuildsResumeInput = z.strictObject({ connectionId: profileId, rebuildId, reason: changeFields.reason });
export const rebuildsResumeResult = z.object({ rebuildId: z.string(), jobId: z.string(), position: z.string() });

export const rebuildsDiffInput = z.strictObject({
  connectionId: profileId,
  rebuildId,
  sampleRows: z.number().int().min(0).max(200).default(20),
});
const fieldChange = z.object({ field: z.string(), live: z.unknown(), shadow: z.unknown() });
export const rebuildsDiffResult = z.object({
  liveRows: z.number(),
  shadowRows: z.number(),
  onlyInLive: z.object({ count: z.number(), keys: z.array(z.string()) }),
  onlyInShadow: z.object({ count: z.number(), keys: z.array(z.string()) }),
  changed: z.object({
    count: z.number(),
    keys: z.array(z.string()),
    sample: z.array(
      z.object({ key: z.string(), live: z.record(z.string(), z.unknown()), shadow: z.record(z.string(), z.unknown()), fields: z.array(fieldChange) }),
    ),
  }),
  identical: z.boolean(),
});

export const rebuildsSwapInput = z.strictObject({
  connectionId: profileId,
  rebuildId,
  /** The projector that keeps the live model up to date: the swap takes its checkpoint with the renames. */
  projector: projectorCheckpoint.optional(),
  ...changeFields,
});
export const rebuildsSwapResult = z.object({
  model: z.string(),
  shadow: z.string(),
  beforeTable: z.string(),
  position: z.string(),
  catchUpFrom: z.string(),
  /** MongoDB: the two renames are not atomic; what that risks, and how long the model had no collection (ms, after the swap). */
  risk: z.string().optional(),
  windowMs: z.number().optional(),
  /** The chosen projector does not appear to feed the model (its name matches neither the definition's projector nor the model). */
  warning: z.string().optional(),
  dryRun: z.boolean(),
  confirmation: z.string().optional(),
});

export const rebuildsRollbackInput = z.strictObject({ connectionId: profileId, rebuildId, ...changeFields });
export const rebuildsRollbackResult = z.object({
  model: z.string(),
  restored: z.string(),
  rebuiltKeptAs: z.string(),
  dryRun: z.boolean(),
  confirmation: z.string().optional(),
});

/** Drops what a rebuild left: the old model kept by a swap (`before`), or an unswapped shadow (`shadow`). */
export const rebuildsDropInput = z.strictObject({ connectionId: profileId, rebuildId, what: z.enum(['before', 'shadow']), ...changeFields });
export const rebuildsDropResult = z.object({ table: z.string(), dropped: z.boolean(), dryRun: z.boolean(), confirmation: z.string().optional() });

/** Creates a read model's table from its definition (a built-in's reference DDL, or a user definition's declared `columns`). */
export const rebuildsCreateTargetInput = z.strictObject({
  connectionId: profileId,
  schema: schemaName,
  model: modelName,
  definition: readModelDefinitionInput,
  ...changeFields,
});
export const rebuildsCreateTargetResult = z.object({
  schema: z.string(),
  model: z.string(),
  /** The exact statements that run (one transaction). */
  ddl: z.string(),
  created: z.boolean(),
  dryRun: z.boolean(),
  confirmation: z.string().optional(),
});

/** The read-model definitions of the user's definitions folder, as rebuilds can use them. */
export const rebuildsDefinitionsInput = z.strictObject({});
export const rebuildsDefinitionsResult = z.object({
  folder: z.string().nullable(),
  definitions: z.array(
    z.object({
      /** `user:<file>`: what `definition: { folder }` takes. */
      name: z.string(),
      file: z.string(),
      /**
       * ready: a read-model definition (key, apply, handles); unconfirmed: new or changed since the folder was confirmed; invalid: not one (the message says
       * why).
       */
      status: z.enum(['ready', 'unconfirmed', 'invalid']),
      message: z.string().optional(),
      /** The columns it declares (a table can be created from them). */
      columns: z.array(z.string()).optional(),
      projector: z.string().optional(),
    }),
  ),
});
