import { z } from 'zod';

/**
 * A file in the exports folder, by its plain name: no path, no dot-file, no partial file.
 * The one rule for both ways a file leaves it: browser mode's /downloads/<name> and
 * the desktop app's "Save a copy" (the path comes from the system dialog, never from here).
 */
export const EXPORT_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$/;

export const exportFileName = z
  .string()
  .regex(EXPORT_FILE_NAME, 'a file name from the exports folder (letters, digits, ".", "_" and "-")')
  .refine((name) => !name.endsWith('.part'), 'a finished file, not a partial one');

export const exportsSaveCopyInput = z.strictObject({ fileName: exportFileName });
export const exportsSaveCopyResult = z.object({ path: z.string(), bytes: z.number() });
