import type { Handlers } from '../dispatch/dispatcher';
import type { RebuildService } from './service';

type RebuildOperation =
  | 'rebuilds.catalog'
  | 'rebuilds.definitions'
  | 'rebuilds.createTarget'
  | 'rebuilds.start'
  | 'rebuilds.resume'
  | 'rebuilds.diff'
  | 'rebuilds.swap'
  | 'rebuilds.rollback'
  | 'rebuilds.drop';

/** The rebuild operations; read-only refusal, dry runs, confirmations and the audit are the dispatcher's. */
export function rebuildHandlers({ rebuilds }: { rebuilds: RebuildService }): Pick<Handlers, RebuildOperation> {
  return {
    'rebuilds.catalog': (input) => rebuilds.catalog(input.connectionId, input.schema),
    'rebuilds.definitions': () => rebuilds.folderDefinitions(),
    'rebuilds.createTarget': (input) => rebuilds.createTarget(input),
    'rebuilds.start': (input) => rebuilds.start(input),
    'rebuilds.resume': (input) => rebuilds.resume(input.connectionId, input.rebuildId),
    'rebuilds.diff': (input) => rebuilds.diff(input.connectionId, input.rebuildId, input.sampleRows),
    'rebuilds.swap': (input) => rebuilds.swap(input.connectionId, input.rebuildId, { projector: input.projector, dryRun: input.dryRun === true }),
    'rebuilds.rollback': (input) => rebuilds.rollback(input.connectionId, input.rebuildId, input.dryRun === true),
    'rebuilds.drop': (input) => rebuilds.drop(input.connectionId, input.rebuildId, input.what, input.dryRun === true),
  };
}
