import { z } from 'zod';
import { empty } from '../schemas/common';
import { op } from './op';

const appInfo = z.object({
  name: z.string(),
  version: z.string(),
  mode: z.enum(['desktop', 'browser']),
  user: z.string(),
  platform: z.string(),
  dataDir: z.string(),
  secretStorage: z.object({ kind: z.enum(['safeStorage', 'memory']), note: z.string() }),
  localWorkspace: z.object({
    state: z.enum(['starting', 'ready', 'failed', 'stopped']),
    message: z.string().optional(),
  }),
});

/** The operations of this Chronoscope itself. */
export const appOperations = {
  'app.info': op({ summary: 'Version, mode and storage facts of this Chronoscope', input: empty, result: appInfo, effect: 'none' }),
} as const;
