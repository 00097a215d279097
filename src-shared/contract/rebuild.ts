import {
  rebuildsCatalogInput,
  rebuildsCatalogResult,
  rebuildsCreateTargetInput,
  rebuildsCreateTargetResult,
  rebuildsDefinitionsInput,
  rebuildsDefinitionsResult,
  rebuildsDiffInput,
  rebuildsDiffResult,
  rebuildsDropInput,
  rebuildsDropResult,
  rebuildsResumeInput,
  rebuildsResumeResult,
  rebuildsRollbackInput,
  rebuildsRollbackResult,
  rebuildsStartInput,
  rebuildsStartResult,
  rebuildsSwapInput,
  rebuildsSwapResult,
} from '../schemas/rebuild';
import { op } from './op';

/** The operations of read-model rebuilds. */
export const rebuildOperations = {
  'rebuilds.catalog': op({
    summary:
      'Read models of a PostgreSQL connection (tables with a single-column key) or a MongoDB one (collections): rows, built-in definition, rebuilds, projector checkpoints',
    input: rebuildsCatalogInput,
    result: rebuildsCatalogResult,
    effect: 'none',
  }),
  'rebuilds.start': op({
    summary:
      'Start a job rebuilding a read model into a shadow table or collection beside the live one (the live model is not touched); a partial one names streams by id or by scope',
    input: rebuildsStartInput,
    result: rebuildsStartResult,
    effect: 'target',
    target: (input) => `connection:${input.connectionId}/${input.schema}.${input.model}`,
    // A scale-out creates the replay topic on its Kafka connection: a read-only one refuses it.
    connectionsOf: (input) => [input.connectionId, ...(input.scaleOut ? [input.scaleOut.kafkaConnectionId] : [])],
    invalidates: ['rebuilds.catalog', 'jobs.list'],
  }),
  'rebuilds.definitions': op({
    summary: "Read-model definitions in the user's definitions folder (the one time travel uses): ready, awaiting confirmation, or not a read-model definition",
    input: rebuildsDefinitionsInput,
    result: rebuildsDefinitionsResult,
    effect: 'none',
  }),
  'rebuilds.createTarget': op({
    summary:
      "Create a read model's table from its definition: a built-in's reference DDL or a user definition's declared columns (the dry run shows the exact DDL)",
    input: rebuildsCreateTargetInput,
    result: rebuildsCreateTargetResult,
    effect: 'target',
    destructive: true,
    target: (input) => `connection:${input.connectionId}/${input.schema}.${input.model}`,
    // The confirmation is bound to the exact statements shown.
    plan: (result) => ({ table: `${result.schema}.${result.model}`, ddl: result.ddl }),
    invalidates: ['rebuilds.catalog'],
  }),
  'rebuilds.resume': op({
    summary: 'Continue a cancelled or failed rebuild from its last committed batch, in a new job',
    input: rebuildsResumeInput,
    result: rebuildsResumeResult,
    effect: 'target',
    target: (input) => `connection:${input.connectionId}/rebuild:${input.rebuildId}`,
    invalidates: ['rebuilds.catalog', 'jobs.list'],
  }),
  'rebuilds.diff': op({
    summary: 'Compare a rebuilt shadow with the live model: counts, keys only in one, changed rows with a field sample',
    input: rebuildsDiffInput,
    result: rebuildsDiffResult,
    effect: 'none',
  }),
  'rebuilds.swap': op({
    summary:
      'Swap the rebuilt shadow in (PostgreSQL: one transaction with the projector checkpoint; MongoDB: two renames, the risk stated); the old model is kept for roll back',
    input: rebuildsSwapInput,
    result: rebuildsSwapResult,
    effect: 'target',
    destructive: true,
    target: (input) => `connection:${input.connectionId}/rebuild:${input.rebuildId}`,
    // The names kept for the old model carry the time of the run, and the projector's position is taken when it runs: neither is part of the plan.
    plan: (result) => ({ model: result.model, shadow: result.shadow, catchUpFrom: result.catchUpFrom }),
    invalidates: ['rebuilds.catalog', 'rebuilds.diff', 'checkpoints.list'],
  }),
  'rebuilds.rollback': op({
    summary: 'Put the model kept by a swap back in place; the rebuilt one is kept beside it',
    input: rebuildsRollbackInput,
    result: rebuildsRollbackResult,
    effect: 'target',
    destructive: true,
    target: (input) => `connection:${input.connectionId}/rebuild:${input.rebuildId}`,
    // The name kept for the rebuilt model carries the time of the run: not part of the plan.
    plan: (result) => ({ model: result.model, restored: result.restored }),
    invalidates: ['rebuilds.catalog', 'rebuilds.diff', 'checkpoints.list'],
  }),
  'rebuilds.drop': op({
    summary: 'Drop the old model a swap kept, or a shadow that was not swapped in',
    input: rebuildsDropInput,
    result: rebuildsDropResult,
    effect: 'target',
    destructive: true,
    target: (input) => `connection:${input.connectionId}/rebuild:${input.rebuildId}/${input.what}`,
    plan: (result) => ({ table: result.table }),
    invalidates: ['rebuilds.catalog'],
  }),
} as const;
