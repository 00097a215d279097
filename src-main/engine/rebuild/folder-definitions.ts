/**
 * Read-model definitions from the user's definitions folder (the one time travel
 * uses): listed with what each declares, and chosen by name. Only a confirmed file
 * runs, and its text is the one the folder confirmed, read here: a rebuild never runs
 * text the renderer sent under a folder file's name.
 */
import { ChronoError } from '../../../src-shared/errors';
import type { ReadModelDefinition } from './read-model';
import { declaredColumns } from './target-table';

/** The user's definitions folder, as rebuilds read it (time travel's `UserDefinitions`). */
export interface FolderDefinitions {
  readonly folder: { path: string } | null;
  list(): { name: string; file: string; source: string; sha256?: string; awaiting?: 'new' | 'changed'; error?: { message: string } }[];
  get(name: string): Promise<{ name: string; source: string; awaiting?: 'new' | 'changed'; error?: { message: string } } | undefined>;
}

type Probe = { columns?: string[]; projector?: string } | { message: string };

export class FolderReadModels {
  /** What each file is as a read model, by name and SHA-256 (loading one takes a sandbox worker). */
  private readonly probes = new Map<string, Promise<Probe>>();

  constructor(
    private readonly folder: FolderDefinitions | undefined,
    private readonly load: (name: string, source: string) => Promise<ReadModelDefinition>,
  ) {}

  /** A confirmed file of the folder as a definition, with the text the rebuild records. */
  async choose(name: string): Promise<{ definition: ReadModelDefinition; source: string }> {
    const folder = this.folder;
    const entry = folder?.folder ? await folder.get(name) : undefined;
    if (!entry)
      throw new ChronoError(
        'not_found',
        folder?.folder
          ? `There is no ${name} in the definitions folder ${folder.folder.path}.`
          : 'No definitions folder is set: choose one on the time travel screen, or paste the definition.',
      );
    if (entry.awaiting)
      throw new ChronoError(
        'conflict',
        `${name} is ${entry.awaiting === 'new' ? 'new' : 'changed'} since the folder's files were confirmed: confirm them again (time travel screen) before it runs.`,
      );
    if (!entry.source) throw new ChronoError('definition_error', entry.error?.message ?? `${name} could not be read.`);
    return { definition: await this.load(entry.name, entry.source), source: entry.source };
  }

  /** The folder's files: ready read models (with their columns and projector), files awaiting confirmation, and the others with why. */
  async list() {
    const folder = this.folder;
    if (!folder?.folder) return { folder: null, definitions: [] };
    const definitions = await Promise.all(
      folder.list().map(async (entry) => {
        const base = { name: entry.name, file: entry.file.split(/[\\/]/).pop() ?? entry.file };
        if (entry.awaiting)
          return {
            ...base,
            status: 'unconfirmed' as const,
            message: `${entry.awaiting === 'new' ? 'New' : 'Changed'} since the folder was confirmed: confirm it on the time travel screen first.`,
          };
        if (!entry.source) return { ...base, status: 'invalid' as const, message: entry.error?.message ?? 'could not be read' };
        const found = await this.probe(entry.name, entry.source, entry.sha256);
        return 'message' in found ? { ...base, status: 'invalid' as const, message: found.message } : { ...base, status: 'ready' as const, ...found };
      }),
    );
    return { folder: folder.folder.path, definitions };
  }

  /** Loads a file once per content to learn whether it is a read model and what it declares. */
  private probe(name: string, source: string, sha256: string | undefined): Promise<Probe> {
    const key = `${name}\u0000${sha256 ?? source}`;
    let probe = this.probes.get(key);
    if (!probe) {
      probe = this.load(name, source).then(
        (definition): Probe => {
          try {
            const columns = definition.declaredColumns === undefined ? undefined : declaredColumns(definition).map((c) => c.name);
            return { ...(columns ? { columns } : {}), ...(definition.projector ? { projector: definition.projector } : {}) };
          } catch (err) {
            return { message: (err as Error).message };
          }
        },
        (err: unknown): Probe => {
          // Not remembered: a load that failed for a passing reason (a busy pool) is tried again on the next listing.
          this.probes.delete(key);
          return { message: `Not a read-model definition: ${(err as Error).message}` };
        },
      );
      this.probes.set(key, probe);
    }
    return probe;
  }
}
