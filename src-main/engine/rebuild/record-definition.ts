/** The definition a rebuild record names: a built-in by its model, or the user definition whose source the record keeps. */
import { ChronoError } from '../../../src-shared/errors';
import { userReadModel } from '../definitions';
import type { BuiltinReadModels } from './builtin-read-models';
import type { RebuildRecord } from './postgres-target';
import type { ReadModelDefinition } from './read-model';

export async function loadUserDefinition(name: string, source: string): Promise<ReadModelDefinition> {
  try {
    return await userReadModel(name, source);
  } catch (err) {
    throw new ChronoError('definition_error', (err as Error).message);
  }
}

export async function definitionOfRecord(
  record: Pick<RebuildRecord, 'definition' | 'definitionSource' | 'model'>,
  builtins: BuiltinReadModels,
): Promise<ReadModelDefinition> {
  if (record.definitionSource !== null) return loadUserDefinition(record.definition, record.definitionSource);
  const builtin = builtins.postgres[record.model];
  if (!builtin || builtin.name !== record.definition) throw new ChronoError('not_found', `The definition ${record.definition} is not available.`);
  return builtin;
}
