import { z } from 'zod';
import { changeFields, profileId } from './common';
import { storedEvent } from './browse';

const streamId = z.string().min(1, 'stream id is required').max(1000);
/** A point in a stream: a version, or an instant (the last event at or before it). */
export const timeTravelTarget = z.union([
  z.strictObject({ version: z.number().int().min(0) }),
  z.strictObject({ time: z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO-8601 date and time') }),
]);
/** `user:` + a user definition file's base name (`orders-v2.js` → `user:orders-v2`). */
export const USER_DEFINITION_NAME = /^user:[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}$/;
/** A built-in definition name, "merge" (any stream), "auto" (by the stream's category or prefix) or a user definition. */
const definition = z
  .string()
  .refine(
    (v) => /^[a-z][a-z0-9-]{0,40}$/.test(v) || USER_DEFINITION_NAME.test(v),
    'definition must be a definition name (a built-in, "merge", "auto" or "user:<file>")',
  )
  .default('auto');

const diffEntry = z.object({
  path: z.array(z.union([z.string(), z.number()])),
  kind: z.enum(['added', 'removed', 'changed']),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
});

const appliesTo = z.object({ types: z.array(z.string()).optional(), categories: z.array(z.string()).optional(), streamPrefix: z.string().optional() });

export const definitionEntry = z.object({
  /** What `definition` inputs take: `account`, `merge`, `user:orders-v2`. */
  name: z.string(),
  source: z.enum(['builtin', 'user']),
  /** The file a user definition was read from. */
  file: z.string().optional(),
  /** `unconfirmed`: a user file that is new or changed since the user confirmed the folder; it does not run until confirmed. */
  status: z.enum(['loaded', 'error', 'unconfirmed']),
  /** Why a user file awaits confirmation. */
  awaiting: z.enum(['new', 'changed']).optional(),
  /** A user file's size in bytes and the SHA-256 of its content, as last read. */
  size: z.number().optional(),
  sha256: z.string().optional(),
  /** The `name` the script declares (may differ from the file name). */
  declaredName: z.string().optional(),
  appliesTo: appliesTo.optional(),
  /** State fields holding amounts in minor units, declared by the definition (`money: { balanceCents: { currencyField: 'currency' } }`). */
  money: z.record(z.string(), z.object({ currencyField: z.string().optional(), currency: z.string().optional(), scale: z.number().optional() })).optional(),
  /** `categories Account · prefix acc-`, or `any stream`. */
  appliesToSummary: z.string(),
  handlerTypes: z.array(z.string()),
  /** Why a user file could not be loaded, with the line when the error points into it. */
  error: z.object({ message: z.string(), line: z.number().optional() }).optional(),
});
export type DefinitionEntry = z.infer<typeof definitionEntry>;

export const definitionsFolderStatus = z.object({
  path: z.string(),
  /** `missing`: set, but not there (deleted, or a drive not mounted): watched for its return. */
  state: z.enum(['watching', 'missing']),
  message: z.string().optional(),
  /** Over the files as last read: what `timeTravel.confirmDefinitions` takes to confirm them. */
  listingHash: z.string().optional(),
});

/** A folder's definition files as the user is asked to confirm them; nothing in it has been run. */
export const definitionsFolderListing = z.object({
  path: z.string(),
  files: z.array(z.object({ name: z.string(), size: z.number(), sha256: z.string() })),
  /** SHA-256 over the sorted file names and their SHA-256: confirm with it. */
  listingHash: z.string(),
});

export const timeTravelDefinitionsResult = z.object({
  definitions: z.array(definitionEntry),
  /** The user definitions folder, when one is set. */
  folder: definitionsFolderStatus.nullable(),
  /** Grows whenever the user definitions change (a file saved, added or removed; the folder set). */
  revision: z.number(),
});

const folderPath = z
  .string()
  .trim()
  .min(1, 'path is required')
  .max(4096)
  .refine((v) => v.startsWith('/') || /^[A-Za-z]:[\\/]/.test(v) || v.startsWith('\\\\'), 'path must be absolute');
const listingHash = z.string().regex(/^[0-9a-f]{64}$/, 'listingHash must be the 64 hex digits of a listing this app returned');
/**
 * Browser mode: `path` (typed) alone lists the folder and changes nothing; with the
 * `listingHash` of that listing it sets the folder and confirms its files.
 * Desktop: neither; the main process asks the OS folder dialog, and the files of the folder picked there are confirmed.
 */
export const timeTravelSetDefinitionsFolderInput = z.strictObject({
  path: folderPath.optional(),
  listingHash: listingHash.optional(),
  reason: changeFields.reason,
});
export const timeTravelSetDefinitionsFolderResult = z.object({
  folder: definitionsFolderStatus.nullable(),
  listing: definitionsFolderListing,
  /** false: only listed, nothing set or run; true: the folder is set and these files may run. */
  confirmed: z.boolean(),
});
/** Confirms the current folder's files (new or changed ones included), if they still hash to `listingHash`. */
export const timeTravelConfirmDefinitionsInput = z.strictObject({ listingHash, reason: changeFields.reason });
export const timeTravelClearDefinitionsFolderInput = z.strictObject({ reason: changeFields.reason });
export const timeTravelDefinitionsFolderResult = z.object({ folder: definitionsFolderStatus.nullable() });
export const timeTravelDefinitionsChangedData = z.object({ revision: z.number() });

/**
 * A stored snapshot in a state's replay: `ok` a replay to its version gave the same state,
 * `differs` it did not (then it is not used), `unverified` never compared (a long stream, not checked yet).
 */
export const snapshotUse = z.object({
  version: z.number(),
  /** When the store says the snapshot was taken; null: its layout does not record it. */
  takenAt: z.string().nullable().optional(),
  used: z.boolean(),
  verification: z.enum(['ok', 'differs', 'unverified']),
  /** Who compared it: the quick check of this replay (short streams), "Verify snapshot", the Snapshots screen's inspect, a "verify all" job. */
  checkedBy: z.enum(['quickCheck', 'verifySnapshot', 'inspect', 'verifyAll']).optional(),
});
export type SnapshotUse = z.infer<typeof snapshotUse>;

export const timeTravelStateInput = z.strictObject({
  connectionId: profileId,
  streamId,
  target: timeTravelTarget,
  definition,
  /** Start from the latest stored snapshot at or before the target, when the store keeps snapshots. */
  useSnapshot: z.boolean().default(true),
});
export const timeTravelStateResult = z.object({
  state: z.unknown(),
  version: z.number(),
  timestamp: z.string().nullable(),
  applied: z.number(),
  fromSnapshotVersion: z.number(),
  /** The replay started from a state an earlier replay met (in memory), not from a stored snapshot. */
  fromCache: z.boolean().optional(),
  definition: z.string(),
  /** Why "auto" chose this definition (e.g. the generic merge, because the store is not the reference system's schema). */
  definitionReason: z.string().optional(),
  /** Sealed personal data among the replayed events: folded decrypted (the profile may decrypt), or as stored. */
  personalData: z
    .object({ mode: z.enum(['decrypted', 'encrypted']), subjects: z.number(), shreddedFields: z.number(), note: z.string().optional() })
    .optional(),
  /** The stored snapshot this state was built from, or skipped because it differs from a replay; absent when none was in play. */
  snapshot: snapshotUse.optional(),
  /** Something the user must know about this state (a snapshot skipped because it is wrong). */
  warning: z.string().optional(),
});

export const timeTravelCompareInput = z.strictObject({ connectionId: profileId, streamId, a: timeTravelTarget, b: timeTravelTarget, definition });
export const timeTravelCompareResult = z.object({ a: timeTravelStateResult, b: timeTravelStateResult, diff: z.array(diffEntry) });

export const timeTravelStepsInput = z.strictObject({
  connectionId: profileId,
  streamId,
  fromVersion: z.number().int().min(0),
  toVersion: z.number().int().min(0),
  definition,
});
export const timeTravelStepsResult = z.object({
  steps: z.array(
    z.object({
      event: storedEvent,
      before: z.unknown(),
      after: z.unknown(),
      diff: z.array(diffEntry),
      /** The event as the definition's upcasters turned it (type, data, metadata), beside the raw `event`. */
      upcast: z.object({ type: z.string(), data: z.unknown(), metadata: z.unknown() }).optional(),
    }),
  ),
  truncated: z.boolean(),
});

export const timeTravelFieldHistoryInput = z.strictObject({
  connectionId: profileId,
  streamId,
  /** Dotted path into the state, e.g. `balanceCents` or `lines.0.quantity`. */
  path: z.string().min(1, 'path is required').max(500),
  definition,
});
export const timeTravelFieldHistoryResult = z.object({
  // `before` or `after` is absent where the field did not exist (JSON has no undefined).
  changes: z.array(z.object({ event: storedEvent, before: z.unknown().optional(), after: z.unknown().optional() })),
  truncated: z.boolean(),
  version: z.number(),
});

export const timeTravelVerifySnapshotInput = z.strictObject({ connectionId: profileId, streamId, definition });
export const timeTravelVerifySnapshotResult = z.object({
  ok: z.boolean(),
  snapshotVersion: z.number(),
  diff: z.array(diffEntry),
  streamTooShort: z.boolean(),
});

/** The `definition` input of replaying operations, for other capabilities that replay (bulk snapshot verification). */
export { definition as definitionName };
