// The only module that imports `electron`: it hands the real module to the shell.
import * as electron from 'electron';
import { fileURLToPath } from 'node:url';
import { startDesktop } from './desktop';

startDesktop(electron as never, {
  outDir: fileURLToPath(new URL('..', import.meta.url)),
  ...(process.env.ELECTRON_RENDERER_URL ? { devServerUrl: process.env.ELECTRON_RENDERER_URL } : {}),
}).catch((err: unknown) => {
  console.error('Chronoscope could not start:', err);
  electron.app.quit();
});
