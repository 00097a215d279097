/**
 * Which projector checkpoint keeps a read model: the one the definition declares
 * (built-ins: the reference projector, named after its view), else one named after
 * the model as projection frameworks name them (`orders_view`, `OrdersView`,
 * `orders-view`, `OrdersViewProjection`, `orders_view:All`), else, for a built-in, the
 * reference workers' `direct` projector that keeps every built-in view. Never "the
 * first checkpoint": a wrong projector would swap the model in at another model's position.
 */
import type { ProjectorCheckpoint } from './projector-checkpoint';

export interface Checkpoint extends ProjectorCheckpoint {
  position: string;
}

export interface FeedingProjector extends ProjectorCheckpoint {
  /** Why this one, in words. */
  reason: string;
}

/** The reference workers' projector of all built-in views (src-main/reference/workers/main.ts). */
const REFERENCE_DIRECT_PROJECTOR = 'direct';

/** A name reduced to what conventions keep: `OrdersViewProjection:All` → `order`. */
function stem(name: string): string {
  return name
    .replace(/:all$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .replace(/(projection|projector|readmodel)$/, '')
    .replace(/view$/, '')
    .replace(/s$/, '');
}

/** Every checkpoint that appears to feed the model, best first; among a projector's sources the global feed (`events`) first. */
export function projectorsFeeding<C extends ProjectorCheckpoint>(
  model: string,
  declared: string | undefined,
  builtin: boolean,
  checkpoints: readonly C[],
): (C & { reason: string })[] {
  const rules: [string, (name: string) => boolean][] = [
    ...(declared ? ([[`declared by the definition`, (name: string) => name === declared]] as [string, (name: string) => boolean][]) : []),
    [`named after ${model}`, (name) => name === model],
    [`named after ${model} (projection naming conventions)`, (name) => stem(name) !== '' && stem(name) === stem(model)],
    ...(builtin
      ? ([[`the reference workers' projector of every built-in view`, (name: string) => name === REFERENCE_DIRECT_PROJECTOR]] as [
          string,
          (name: string) => boolean,
        ][])
      : []),
  ];
  const found: (C & { reason: string })[] = [];
  for (const [reason, matches] of rules) {
    const hits = checkpoints.filter((c) => matches(c.name) && !found.some((f) => f.name === c.name && f.source === c.source));
    hits.sort((a, b) => Number(b.source === 'events') - Number(a.source === 'events'));
    found.push(...hits.map((c) => ({ ...c, reason })));
  }
  return found;
}

/** The projector a swap should default to, or null when none appears to feed the model. */
export function defaultProjector(
  model: string,
  declared: string | undefined,
  builtin: boolean,
  checkpoints: readonly ProjectorCheckpoint[],
): FeedingProjector | null {
  const best = projectorsFeeding(model, declared, builtin, checkpoints)[0];
  return best ? { name: best.name, source: best.source, reason: best.reason } : null;
}

/** The dry run's warning when the chosen projector does not appear to feed the model. */
export function projectorWarning(
  model: string,
  declared: string | undefined,
  builtin: boolean,
  chosen: ProjectorCheckpoint,
  checkpoints: readonly ProjectorCheckpoint[],
): string | undefined {
  const feeding = projectorsFeeding(model, declared, builtin, checkpoints);
  if (feeding.some((c) => c.name === chosen.name && c.source === chosen.source)) return undefined;
  const better = feeding[0];
  return (
    `${chosen.name} (${chosen.source}) does not appear to feed ${model}: its name is neither ${declared ? `the definition's projector (${declared}) nor ` : ''}named after ${model}. ` +
    `The swap would put ${model} at that projector's position, ${better ? `not at ${better.name}'s (${better.reason}), ` : ''}and ${model}'s own projector would skip or repeat events. ` +
    (better ? `Choose ${better.name} (${better.source}).` : `Choose the projector that keeps ${model}, or none to swap at the head.`)
  );
}
