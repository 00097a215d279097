/**
 * The checkpoint of the projector that keeps a live read model, as rebuild swaps
 * take it: through the connection's CheckpointStore (whatever the software), read
 * to plan, then held by compare-and-set (next = expected) inside the swap, so the
 * swap refuses rather than pins a model at a position the projector already left.
 */
import { ChronoError } from '../../../src-shared/errors';
import type { CheckpointKey, CheckpointStore, CheckpointView } from '../../stores/ports/checkpoint-store';
import { translateCompanionError } from '../checkpoints/companion-ports';

/** The projector as the swap names it; `store` (the table / collection) only where a name and source are not enough (Emmett keeps two). */
export interface ProjectorCheckpoint {
  name: string;
  source: string;
  store?: string;
}

/** The projector's checkpoints as the rebuild catalog lists them (projectors only: no store marks). */
export async function projectorCheckpoints(
  checkpoints: CheckpointStore,
  limit = 200,
): Promise<{ name: string; source: string; position: string; store: string }[]> {
  const listed = await checkpoints.list();
  return listed
    .filter((c): c is CheckpointView & { position: string } => c.role === 'projector' && c.position !== null)
    .slice(0, limit)
    .map((c) => ({ name: c.projector, source: c.source, position: c.position, store: c.store }));
}

async function ported<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw translateCompanionError(err);
  }
}

/** The key of the projector's checkpoint, found among the store's (refused when missing or ambiguous). */
export async function projectorKey(checkpoints: CheckpointStore, projector: ProjectorCheckpoint, model: string): Promise<CheckpointKey> {
  const found = (await ported(() => checkpoints.list())).filter(
    (c) => c.projector === projector.name && c.source === projector.source && (projector.store === undefined || c.store === projector.store),
  );
  if (found.length === 0)
    throw new ChronoError(
      'not_found',
      `The projector checkpoint ${projector.name} (${projector.source}) does not exist: name the projector that feeds ${model}, or swap without one.`,
    );
  if (found.length > 1)
    throw new ChronoError(
      'invalid_input',
      `${projector.name} (${projector.source}) has a checkpoint in ${found.map((c) => c.store).join(' and ')}: name the store too.`,
    );
  if (found[0]!.role === 'mark')
    throw new ChronoError('invalid_input', `${projector.name} is the store's own mark, not a projector: name the projector that feeds ${model}.`);
  return { store: found[0]!.store, projector: projector.name, source: projector.source };
}

function positionOf(view: CheckpointView | null, key: CheckpointKey, model: string): string {
  if (!view)
    throw new ChronoError(
      'not_found',
      `The projector checkpoint ${key.projector} (${key.source}) does not exist: name the projector that feeds ${model}, or swap without one.`,
    );
  if (view.position === null)
    throw new ChronoError('conflict', `The projector ${key.projector} (${key.source}) has no position yet: swap once it has run, or swap without it.`);
  return view.position;
}

/** The projector's position now (a plain read: dry runs and the folds ahead of a swap). */
export async function readProjectorPosition(checkpoints: CheckpointStore, key: CheckpointKey, model: string): Promise<string> {
  return positionOf(await ported(() => checkpoints.read(key)), key, model);
}

/** Reads before giving up on a projector that keeps moving between the read and the hold. */
const HOLD_ATTEMPTS = 3;

/**
 * Reads the projector's position and holds it by compare-and-set (the same position
 * as expected and next): inside a PostgreSQL transaction the checkpoint cannot move
 * until it ends; on MongoDB the check is the last moment before the renames. A
 * projector committing in between (the hold waited for its row) is read again;
 * one that keeps moving is refused (conflict).
 */
export async function holdProjectorPosition(checkpoints: CheckpointStore, key: CheckpointKey, model: string, attempts = HOLD_ATTEMPTS): Promise<string> {
  let moved = { from: '', to: 'nothing' };
  for (let attempt = 0; attempt < attempts; attempt++) {
    const position = await readProjectorPosition(checkpoints, key, model);
    const held = await ported(() => checkpoints.setPosition(key, position, position));
    if (held.outcome === 'applied') return position;
    moved = { from: position, to: held.checkpoint?.position ?? 'nothing' };
  }
  throw new ChronoError(
    'conflict',
    `The projector ${key.projector} (${key.source}) moved from ${moved.from} to ${moved.to} while the swap took its checkpoint: swap again.`,
  );
}

/** The projector's checkpoint key and store (a swap naming a projector needs the connection's checkpoints). */
export async function projectorOf(
  options: { projector?: ProjectorCheckpoint | undefined; checkpoints?: CheckpointStore | undefined },
  model: string,
): Promise<{ checkpoints: CheckpointStore; key: CheckpointKey } | undefined> {
  if (!options.projector) return undefined;
  if (!options.checkpoints)
    throw new ChronoError(
      'not_found',
      `No checkpoints are known for this connection: swap ${model} without a projector, or confirm the preset that keeps them.`,
    );
  return { checkpoints: options.checkpoints, key: await projectorKey(options.checkpoints, options.projector, model) };
}

/**
 * Confirms by compare-and-set that the projector is still where the shadow was
 * caught up to (`position`): where there is no transaction to hold it in (MongoDB),
 * the last check before the model changes. Refused (conflict) when it moved.
 */
export async function confirmProjectorPosition(checkpoints: CheckpointStore, key: CheckpointKey, position: string): Promise<void> {
  const held = await ported(() => checkpoints.setPosition(key, position, position));
  if (held.outcome === 'moved') {
    throw new ChronoError(
      'conflict',
      `The projector ${key.projector} (${key.source}) moved from ${position} to ${held.checkpoint?.position ?? 'nothing'} while the shadow was caught up: nothing was swapped; swap again (the shadow is folded further).`,
    );
  }
}
