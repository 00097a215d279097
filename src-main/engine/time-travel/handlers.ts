import { ChronoError } from '../../../src-shared/errors';
import type { InputOf } from '../../../src-shared/operations';
import type { Handlers } from '../dispatch/dispatcher';
import type { DefinitionsFolder } from '../definitions/definitions-folder';
import type { TimeTravelService } from './service';
import type { UserDefinitions } from '../definitions/user-definitions';

export interface TimeTravelHandlerDeps {
  mode: 'desktop' | 'browser';
  timeTravel: TimeTravelService;
  userDefinitions: UserDefinitions;
  definitionsFolder: DefinitionsFolder;
  /** Runs the work once the saved definitions folder has had its first load. */
  afterRestore<T>(work: () => Promise<T>): Promise<T>;
  /** The desktop's folder dialog; undefined when the user cancels. Absent in browser mode. */
  chooseDefinitionsFolder: (() => Promise<string | undefined>) | undefined;
}

type TimeTravelOperation =
  | 'timeTravel.definitions'
  | 'timeTravel.setDefinitionsFolder'
  | 'timeTravel.confirmDefinitions'
  | 'timeTravel.clearDefinitionsFolder'
  | 'timeTravel.definitionsChanged'
  | 'timeTravel.state'
  | 'timeTravel.compare'
  | 'timeTravel.steps'
  | 'timeTravel.fieldHistory'
  | 'timeTravel.verifySnapshot';

/** Replaying aggregates with projection definitions, and the user's folder of definitions. */
export function timeTravelHandlers(deps: TimeTravelHandlerDeps): Pick<Handlers, TimeTravelOperation> {
  const { timeTravel, userDefinitions, definitionsFolder, afterRestore } = deps;

  /**
   * Which folder's code may run: in the desktop app only one the user picked in
   * the OS dialog shown by this process, never a path the window names. In
   * browser mode the path is typed: the first call only lists its files, and
   * they run once a second call brings back the hash of the listing the user saw.
   */
  const setDefinitionsFolder = async (input: InputOf<'timeTravel.setDefinitionsFolder'>) => {
    if (deps.mode === 'desktop') {
      if (input.path !== undefined || input.listingHash !== undefined) {
        throw new ChronoError(
          'invalid_input',
          'In the desktop app the definitions folder is chosen in the system dialog: call without a path or listing hash.',
        );
      }
      if (!deps.chooseDefinitionsFolder) throw new ChronoError('unavailable', 'This desktop build has no folder dialog; the definitions folder cannot be set.');
      const chosen = await deps.chooseDefinitionsFolder();
      if (chosen === undefined) throw new ChronoError('cancelled', 'No folder was chosen: the definitions folder did not change.');
      return { ...(await definitionsFolder.set(chosen)), confirmed: true };
    }
    if (input.path === undefined) throw new ChronoError('invalid_input', 'path: type the folder on the host running Chronoscope.');
    if (input.listingHash === undefined) return { folder: userDefinitions.folder, listing: await definitionsFolder.look(input.path), confirmed: false };
    return { ...(await definitionsFolder.set(input.path, input.listingHash)), confirmed: true };
  };

  return {
    'timeTravel.definitions': () => afterRestore(() => timeTravel.definitions()),
    'timeTravel.setDefinitionsFolder': (input) => afterRestore(() => setDefinitionsFolder(input)),
    'timeTravel.confirmDefinitions': (input) => afterRestore(async () => ({ ...(await definitionsFolder.confirmCurrent(input.listingHash)), confirmed: true })),
    'timeTravel.clearDefinitionsFolder': () => afterRestore(async () => ({ folder: await definitionsFolder.clear() })),
    'timeTravel.definitionsChanged': (_input, context) => streamRevisions(userDefinitions, context),
    'timeTravel.state': (input, context) =>
      afterRestore(() => timeTravel.state(input.connectionId, input.streamId, input.target, input.definition, input.useSnapshot, context)),
    'timeTravel.compare': (input, context) =>
      afterRestore(() => timeTravel.compare(input.connectionId, input.streamId, input.a, input.b, input.definition, context)),
    'timeTravel.steps': (input, context) =>
      afterRestore(() => timeTravel.steps(input.connectionId, input.streamId, input.fromVersion, input.toVersion, input.definition, context)),
    'timeTravel.fieldHistory': (input, context) =>
      afterRestore(() => timeTravel.fieldHistory(input.connectionId, input.streamId, input.path, input.definition, context)),
    'timeTravel.verifySnapshot': (input, context) =>
      afterRestore(() => timeTravel.verifySnapshot(input.connectionId, input.streamId, input.definition, context)),
  };
}

/** Emits the definitions revision now and after every change, until the caller cancels. */
function streamRevisions(
  definitions: UserDefinitions,
  context: { signal: AbortSignal; emit(data: { revision: number }): void },
): Promise<{ revision: number }> {
  return new Promise((resolve) => {
    context.emit({ revision: definitions.revision });
    const unsubscribe = definitions.onChange(() => context.emit({ revision: definitions.revision }));
    const stop = () => {
      unsubscribe();
      resolve({ revision: definitions.revision });
    };
    if (context.signal.aborted) stop();
    else context.signal.addEventListener('abort', stop, { once: true });
  });
}
