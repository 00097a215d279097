/**
 * Projection definitions: JavaScript source text run by the sandbox (see
 * resources/projections/README.md for the convention). The built-in reference
 * definitions live in resources/projections/*.js; `merge` works on any stream.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DefinitionInfo } from './sandbox';

export interface DefinitionSource {
  /** Shown in errors and used as the file name of stack frames (`definition:<name>`). */
  name: string;
  source: string;
}

export const BUILTIN_DEFINITION_NAMES = ['account', 'product', 'order', 'customer'] as const;

/** Deep-merges each event's `data` into the state: objects merge key by key; arrays, scalars and null replace. */
export const MERGE_DEFINITION: DefinitionSource = {
  name: 'merge.js',
  source: `
function isPlain(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }
function merge(target, patch) {
  if (!isPlain(target) || !isPlain(patch)) return patch;
  const out = Object.assign({}, target);
  for (const key of Object.keys(patch)) out[key] = merge(out[key], patch[key]);
  return out;
}
definition = {
  name: 'merge',
  appliesTo: {},
  init: () => ({}),
  handlers: {},
  any(state, event) { return isPlain(event.data) ? merge(state, event.data) : state; },
};
`,
};

/** Reads one definition file; its name is the file's base name (`account.js`). */
export async function loadDefinitionFile(file: string): Promise<DefinitionSource> {
  return { name: basename(file), source: await readFile(file, 'utf8') };
}

/** Reads the built-in reference definitions from a resources/projections directory. */
export async function loadBuiltinDefinitions(dir: string): Promise<DefinitionSource[]> {
  return Promise.all(BUILTIN_DEFINITION_NAMES.map((name) => loadDefinitionFile(join(dir, `${name}.js`))));
}

/** Whether a definition declares itself for a stream (an empty `appliesTo` applies to every stream). */
export function definitionApplies(
  info: Pick<DefinitionInfo, 'appliesTo'>,
  stream: { streamId: string; category: string | null; types?: readonly string[] },
): boolean {
  const a = info.appliesTo;
  if (a.streamPrefix !== undefined && !stream.streamId.startsWith(a.streamPrefix)) return false;
  if (a.categories && a.categories.length > 0 && (stream.category === null || !a.categories.includes(stream.category))) return false;
  if (a.types && a.types.length > 0 && stream.types && !stream.types.some((t) => a.types!.includes(t))) return false;
  return true;
}

/** Finds resources/projections above this module: the source tree, out/main or out/main/chunks. */
export function findProjectionsDir(start = dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (let i = 0; i < 6; i += 1) {
    const candidate = join(dir, 'resources', 'projections');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return join(process.cwd(), 'resources', 'projections');
}
