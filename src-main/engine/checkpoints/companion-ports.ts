import { ChronoError } from '../../../src-shared/errors';
import { StoreInputError } from '../../stores/event-store';
import { presetRecord } from '../../stores/presets';
import { CompanionLayoutError, CompanionNotFoundError } from '../../stores/ports/errors';
import type { CompanionSource } from '../../stores/ports/open-companions';
import { LOCAL_WORKSPACE_ID } from '../connections/connections';
import type { StoreChoices } from '../browse/store-choices';

/** The preset a connection was confirmed with, and its events schema. */
export interface ResolvedPreset {
  /** A preset's record, or a custom mapping's layouts in its shape. */
  record: CompanionSource;
  schema?: string;
}

export type PresetResolver = (connectionId: string) => Promise<ResolvedPreset>;

/** Resolves presets from the confirmed store choices (the Local workspace is the reference system's classic table). */
export function presetResolver(choices: StoreChoices): PresetResolver {
  return async (connectionId) => {
    const choice = (await choices.get(connectionId)) ?? (connectionId === LOCAL_WORKSPACE_ID ? { preset: 'classic' as const } : undefined);
    if (!choice) {
      throw new ChronoError('not_found', 'No event-store schema is confirmed for this connection yet: detect the schema and confirm a preset first.', {
        connectionId,
        next: 'stores.detect',
      });
    }
    const record = presetRecord(choice.preset);
    if (!record)
      throw new ChronoError(
        'not_found',
        'This connection uses a custom event mapping, so no preset says where its checkpoints and snapshots are: map them with a custom checkpoint or snapshot mapping (table or collection) on their screens.',
      );
    return { record, ...(choice.schema ? { schema: choice.schema } : {}) };
  };
}

/** `resolve`, except for a connection with a custom mapping kept: its layouts replace the preset's. */
export function withCustomMapping<M>(
  resolve: PresetResolver,
  mappingOf: ((connectionId: string) => Promise<M | undefined>) | undefined,
  sourceOf: (mapping: M) => CompanionSource,
): PresetResolver {
  return async (connectionId) => {
    const mapping = await mappingOf?.(connectionId);
    return mapping ? { record: sourceOf(mapping) } : resolve(connectionId);
  };
}

/** Refuses, with a sentence, a custom mapping for another backend than the connection's kind. */
export function checkMappingBackend(kind: string, backend: string): void {
  if (kind !== backend) {
    throw new ChronoError(
      'invalid_input',
      `This is a ${kind === 'mongo' ? 'MongoDB' : kind === 'postgres' ? 'PostgreSQL' : kind} connection: map a ${kind === 'mongo' ? 'collection' : 'table'} of it.`,
      {
        problems: [{ field: 'mapping.backend', message: `must be ${kind}` }],
      },
    );
  }
}

/** Port errors become contract errors with the adapter's own sentence. */
export function translateCompanionError(err: unknown): unknown {
  if (err instanceof ChronoError) return err;
  if (err instanceof CompanionNotFoundError) return new ChronoError('not_found', err.message);
  if (err instanceof CompanionLayoutError) return new ChronoError('invalid_input', err.message, { problems: err.problems });
  if (err instanceof StoreInputError) return new ChronoError('invalid_input', err.message);
  return err;
}

/** Runs a port call, its errors translated. */
export async function guard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw translateCompanionError(err);
  }
}
