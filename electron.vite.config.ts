import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import pkg from './package.json' with { type: 'json' };

const define = { __APP_VERSION__: JSON.stringify(pkg.version) };

export default defineConfig({
  // Node entries: the Electron shell, browser mode (`bun run serve`, which needs no Electron), the rebuild worker.
  main: {
    define,
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve('src-main/electron/main.ts'),
          serve: resolve('src-main/serve.ts'),
          // The scale-out rebuild's worker process (started by the engine with ELECTRON_RUN_AS_NODE).
          'rebuild-worker': resolve('src-main/engine/rebuild/scale-out/worker-main.ts'),
          // The compliance topic scan's worker thread (started by topic-read-thread.ts).
          'topic-scan-worker': resolve('src-main/engine/compliance/topic-scan-worker.ts'),
          // A rebuild's fold worker threads (fold-workers.ts starts them from beside the main bundle).
          'fold-worker': resolve('src-main/engine/rebuild/fold-worker-main.ts'),
        },
      },
    },
  },
  // Sandboxed preloads cannot require anything but `electron`: one self-contained CommonJS file.
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve('src-main/electron/preload.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
    },
  },
  renderer: {
    root: 'src-renderer',
    define,
    plugins: [react()],
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: { index: resolve('src-renderer/index.html') } },
    },
  },
});
