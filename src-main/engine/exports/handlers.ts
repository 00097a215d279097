import { copyFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ChronoError } from '../../../src-shared/errors';
import type { Handlers } from '../dispatch/dispatcher';

/** The system's save dialog (desktop app only): the chosen path, or undefined when cancelled. */
export type ChooseSaveFile = (suggestedName: string, filter: { name: string; extensions: string[] }) => Promise<string | undefined>;

export interface ExportsHandlerDeps {
  exportsDir: string;
  chooseSaveFile: ChooseSaveFile | undefined;
}

const KINDS: Record<string, string> = { '.pdf': 'PDF', '.zip': 'Zip archive', '.json': 'JSON', '.html': 'HTML', '.csv': 'CSV', '.ndjson': 'NDJSON' };

/** Files made for people leave the exports folder: downloads in browser mode (the host serves them), "Save a copy" here. */
export function exportsHandlers({ exportsDir, chooseSaveFile }: ExportsHandlerDeps): Pick<Handlers, 'exports.saveCopy'> {
  return {
    'exports.saveCopy': async ({ fileName }) => {
      if (!chooseSaveFile)
        throw new ChronoError(
          'invalid_input',
          'Saving a copy through the system dialog is only possible in the desktop app; in browser mode the file is downloaded.',
        );
      const source = join(exportsDir, fileName);
      const info = await stat(source).catch(() => undefined);
      if (!info?.isFile()) throw new ChronoError('not_found', `"${fileName}" is not in the exports folder (any more): make it again.`);
      const ext = extname(fileName).toLowerCase();
      const chosen = await chooseSaveFile(fileName, { name: KINDS[ext] ?? 'File', extensions: [ext.slice(1) || '*'] });
      if (chosen === undefined) throw new ChronoError('cancelled', 'No place was chosen: nothing was saved.');
      // The dialog already asked before replacing a file there; the copy is never the source itself.
      if (chosen === source) throw new ChronoError('invalid_input', 'Choose a place outside the exports folder.');
      await copyFile(source, chosen);
      return { path: chosen, bytes: info.size };
    },
  };
}
