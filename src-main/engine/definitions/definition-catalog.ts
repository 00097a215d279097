/**
 * Every definition time travel can use: the built-ins of resources/projections,
 * the generic merge, and the user folder's files (`user:<file>`). Lists them
 * with what they declare and picks one for a stream.
 */
import { basename, join } from 'node:path';
import { ChronoError } from '../../../src-shared/errors';
import type { DefinitionEntry } from '../../../src-shared/schemas/time-travel';
import { BUILTIN_DEFINITION_NAMES, MERGE_DEFINITION, definitionApplies, loadDefinitionFile, type DefinitionSource } from './definitions';
import { inspectDefinition, summarizeAppliesTo } from './inspect-definition';
import type { DefinitionInfo } from './sandbox';
import type { UserDefinition, UserDefinitions } from './user-definitions';

export interface ResolvedDefinition {
  /** The catalog name: `account`, `merge`, `user:orders-v2`. */
  name: string;
  source: DefinitionSource;
  origin: 'builtin' | 'merge' | 'user';
  /** Why "auto" chose it, for the screen to say. */
  reason?: string;
}

export interface StreamFacts {
  streamId: string;
  category: string | null;
  /**
   * The store is the reference system's own schema. The built-ins reproduce its
   * aggregates: another system's `account` category only shares the name.
   */
  referenceSchema: boolean;
}

const isBuiltin = (name: string) => (BUILTIN_DEFINITION_NAMES as readonly string[]).includes(name);

export class DefinitionCatalog {
  /** Built-ins never change while the app runs: inspected once. */
  private builtins: Promise<DefinitionEntry[]> | undefined;

  constructor(
    private readonly projectionsDir: string,
    readonly user: UserDefinitions,
  ) {}

  async list(): Promise<DefinitionEntry[]> {
    this.builtins ??= this.inspectBuiltins().catch((err: unknown) => {
      this.builtins = undefined;
      throw err;
    });
    return [...(await this.builtins), ...this.user.list().map(userEntry)];
  }

  /**
   * "auto": a loaded user definition that declares the stream's category or
   * prefix (the first by name), else, on the reference system's schema only, the
   * built-in named like the category, else merge; `reason` says which rule chose.
   */
  async resolve(name: string, stream: StreamFacts): Promise<ResolvedDefinition> {
    if (name === 'auto') {
      const mine = this.user.list().find((d) => d.info && declaresStreams(d.info) && definitionApplies(d.info, stream));
      if (mine) return { ...(await this.resolve(mine.name, stream)), reason: `${mine.name}: it declares this stream's category or prefix.` };
      const category = (stream.category ?? '').toLowerCase();
      if (isBuiltin(category) && stream.referenceSchema) {
        return {
          ...(await this.resolve(category, stream)),
          reason: `Built-in ${category}: this is the reference system's schema and the stream's category is ${stream.category}.`,
        };
      }
      const reason = isBuiltin(category)
        ? `Generic merge: this store is not the reference system's schema; choose a definition to use one (the built-in ${category} reproduces the reference system's ${stream.category} only).`
        : "Generic merge: no definition declares this stream's category or prefix; choose one, or add one to the definitions folder.";
      return { ...(await this.resolve('merge', stream)), reason };
    }
    if (name === 'merge') return { name, source: MERGE_DEFINITION, origin: 'merge' };
    if (isBuiltin(name)) return { name, source: await loadDefinitionFile(join(this.projectionsDir, `${name}.js`)), origin: 'builtin' };
    if (name.startsWith('user:')) return this.resolveUser(name);
    throw new ChronoError('not_found', `No projection definition named "${name}".`);
  }

  private async resolveUser(name: string): Promise<ResolvedDefinition> {
    const folder = this.user.folder;
    const found = await this.user.get(name);
    if (!found) {
      throw new ChronoError(
        'not_found',
        folder ? `No user definition named "${name}" in ${folder.path}.` : `No user definition named "${name}": no definitions folder is set.`,
      );
    }
    if (found.awaiting) {
      const what = found.awaiting === 'new' ? 'is new in the definitions folder' : 'changed after the definitions folder was confirmed';
      throw new ChronoError(
        'confirmation_required',
        `${name} (${found.file}) ${what}: open "Definitions folder…", look at the files and confirm them before it can run.`,
        { awaiting: found.awaiting },
      );
    }
    if (found.error) {
      throw new ChronoError('definition_error', `${name} (${found.file}) cannot be used: ${found.error.message}`, {
        kind: 'definition',
        ...(found.error.line !== undefined ? { line: found.error.line } : {}),
      });
    }
    // Named after the file, so the sandbox's stack frames read `definition:<file>:<line>`.
    return { name, source: { name: basename(found.file), source: found.source }, origin: 'user' };
  }

  private async inspectBuiltins(): Promise<DefinitionEntry[]> {
    const entries: DefinitionEntry[] = [];
    for (const name of BUILTIN_DEFINITION_NAMES)
      entries.push(builtinEntry(name, await inspectDefinition(await loadDefinitionFile(join(this.projectionsDir, `${name}.js`)))));
    entries.push(builtinEntry('merge', await inspectDefinition(MERGE_DEFINITION)));
    return entries;
  }
}

/** Whether a definition names the streams it is for (one that claims every stream never wins "auto"). */
function declaresStreams(info: DefinitionInfo): boolean {
  return (info.appliesTo.categories?.length ?? 0) > 0 || info.appliesTo.streamPrefix !== undefined;
}

function builtinEntry(name: string, inspection: Awaited<ReturnType<typeof inspectDefinition>>): DefinitionEntry {
  if (!inspection.ok) return { name, source: 'builtin', status: 'error', appliesToSummary: '', handlerTypes: [], error: inspection.error };
  return { name, source: 'builtin', status: 'loaded', ...described(inspection.info) };
}

function userEntry(definition: UserDefinition): DefinitionEntry {
  const base = {
    name: definition.name,
    source: 'user' as const,
    file: definition.file,
    size: definition.size,
    ...(definition.sha256 ? { sha256: definition.sha256 } : {}),
  };
  if (definition.awaiting) return { ...base, status: 'unconfirmed', awaiting: definition.awaiting, appliesToSummary: '', handlerTypes: [] };
  if (!definition.info) return { ...base, status: 'error', appliesToSummary: '', handlerTypes: [], ...(definition.error ? { error: definition.error } : {}) };
  return { ...base, status: 'loaded', ...described(definition.info) };
}

function described(info: DefinitionInfo) {
  return {
    declaredName: info.name,
    appliesTo: info.appliesTo,
    appliesToSummary: summarizeAppliesTo(info.appliesTo),
    handlerTypes: info.handlerTypes,
    ...(info.money ? { money: info.money } : {}),
  };
}
