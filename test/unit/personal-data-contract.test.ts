import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { namesItsConnections, operations, type OperationSpec } from '../../src-shared/operations';

/**
 * Operations whose answers hold stored data as free-form JSON (event payloads,
 * states, decoded messages, rows) could hand out personal data decrypted from
 * sealed fields. Each must either declare `personalData` (and open sealed fields
 * only where the profile may decrypt) or be reviewed here as never decrypting.
 */
const NEVER_DECRYPTS: Record<string, string> = {
  'snapshots.inspect': 'shows the stored snapshot and a replay of the stored (sealed) events; no key is read',
  'timeTravel.verifySnapshot': 'replays without opening personal data (openPersonalData=false) and diffs with the stored snapshot',
  'checkpoints.list': "extra columns of a projector's checkpoint row, as stored",
  'rebuilds.diff': 'samples read-model rows as stored; read models hold what the projector wrote',
  'compliance.report': 'the erasure report holds counts, hashes and ids, never personal values',
  'audit.list': 'audit details never hold decrypted values (subjects are ids, inputs are redacted)',
  'jobs.list':
    'job results are summaries; a compliance search keeps subject ids and counts, never values; a drift report holds read-model rows as stored (as rebuilds.diff)',
  'jobs.watch': 'the same job views as jobs.list',
  'jobs.cancel': 'the same job view',
  'jobs.resume': 'the same job view',
};

/** The operations that can return, or match on, decrypted personal data: pinned so a dropped flag fails too. */
const DECLARED = [
  'compliance.export',
  'compliance.search',
  'events.export',
  'feed.read',
  'feed.tail',
  'streams.read',
  'timeTravel.compare',
  'timeTravel.fieldHistory',
  'timeTravel.state',
  'timeTravel.steps',
];

/** Paths inside a schema where any JSON value may appear (unknown / any). */
function freeFormPaths(schema: z.ZodType | undefined, path = '', seen = new Set<unknown>()): string[] {
  if (!schema || seen.has(schema)) return [];
  seen.add(schema);
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  const inner = (key: string, at = path) => freeFormPaths(def[key] as z.ZodType, at, seen);
  switch (def.type) {
    case 'unknown':
    case 'any':
      return [path || '(root)'];
    case 'object':
      return Object.entries(def.shape as Record<string, z.ZodType>).flatMap(([key, value]) => freeFormPaths(value, `${path}.${key}`, seen));
    case 'array':
      return inner('element', `${path}[]`);
    case 'record':
      return inner('valueType', `${path}{}`);
    case 'union':
      return (def.options as z.ZodType[]).flatMap((option) => freeFormPaths(option, path, seen));
    case 'intersection':
      return [...inner('left'), ...inner('right')];
    case 'tuple':
      return (def.items as z.ZodType[]).flatMap((item, i) => freeFormPaths(item, `${path}[${i}]`, seen));
    case 'pipe':
      return [...inner('in'), ...inner('out')];
    case 'lazy':
      return freeFormPaths((def.getter as () => z.ZodType)(), path, seen);
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return inner('innerType');
    default:
      return [];
  }
}

const table = operations as Record<string, OperationSpec>;
const freeForm = Object.entries(table)
  .map(([name, spec]) => ({ name, paths: [...freeFormPaths(spec.result), ...freeFormPaths(spec.stream)] }))
  .filter((o) => o.paths.length > 0);

describe('operations that can return decrypted personal data', () => {
  it('finds the free-form answers it checks (event payloads, states)', () => {
    const names = freeForm.map((o) => o.name);
    expect(names).toEqual(expect.arrayContaining(['streams.read', 'feed.read', 'feed.tail', 'timeTravel.state', 'timeTravel.steps']));
    expect(freeForm.find((o) => o.name === 'streams.read')!.paths).toEqual(expect.arrayContaining(['.events[].data', '.events[].metadata']));
  });

  it('each operation answering free-form stored data declares personalData or is reviewed as never decrypting', () => {
    const undeclared = freeForm
      .filter((o) => table[o.name]!.personalData !== true && !(o.name in NEVER_DECRYPTS))
      .map((o) => `${o.name} (${o.paths.join(', ')})`);
    expect(undeclared).toEqual([]);
  });

  it('the declared operations are exactly these, including those that only match (the e-mail search) or write a file', () => {
    const declared = Object.entries(table)
      .filter(([, spec]) => spec.personalData === true)
      .map(([name]) => name)
      .sort();
    expect(declared).toEqual(DECLARED);
    for (const name of declared) expect(NEVER_DECRYPTS[name], `${name} is both declared and reviewed as never decrypting`).toBeUndefined();
  });

  it('each declared operation names its connection, so the profile whose permission applies is always known', () => {
    expect(DECLARED.filter((name) => !namesItsConnections(table[name]!))).toEqual([]);
  });

  it('every reviewed operation exists and answers free-form data (the list holds no dead entries)', () => {
    expect(Object.keys(NEVER_DECRYPTS).filter((name) => !freeForm.some((o) => o.name === name))).toEqual([]);
  });
});
