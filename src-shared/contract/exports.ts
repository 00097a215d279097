import { exportsSaveCopyInput, exportsSaveCopyResult } from '../schemas/exports';
import { op } from './op';

/** The operations of files of the exports folder. */
export const exportsOperations = {
  'exports.saveCopy': op({
    summary: 'Desktop app: save a copy of a finished file of the exports folder (a report, an access export zip) where the system dialog says',
    input: exportsSaveCopyInput,
    result: exportsSaveCopyResult,
    // A copy of data leaving the app's folder: recorded like an export.
    effect: 'local',
    target: (input) => `file:${input.fileName}`,
  }),
} as const;
