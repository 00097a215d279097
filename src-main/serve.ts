/**
 * Browser mode entry (`bun run serve`): the engine plus the WebSocket/HTTP host
 * on 127.0.0.1. Plain Node, no Electron.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultDataDir } from './engine/data-dir';
import { createEngine } from './engine/engine';
import { startBrowserHost } from './transport/browser-host';
import { liveDemoWorkspace } from './engine/local-workspace/seed';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.CHRONOSCOPE_PORT ?? '7717' },
    'data-dir': { type: 'string' },
    'renderer-dir': { type: 'string' },
    'no-demo': { type: 'boolean', default: false },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a number between 0 and 65535 (got "${values.port}")`);
  process.exit(2);
}

const dataDir = values['data-dir'] ?? defaultDataDir();
const engine = createEngine({
  dataDir,
  mode: 'browser',
  startLocalWorkspace: true,
  ...(values['no-demo'] ? {} : { initializeLocalWorkspace: liveDemoWorkspace }),
});
const host = await startBrowserHost({
  dispatcher: engine.dispatcher,
  rendererDir: values['renderer-dir'] ?? fileURLToPath(new URL('../renderer', import.meta.url)),
  port,
  downloadsDir: engine.exportsDir,
});

console.log(`Chronoscope (browser mode) — data in ${dataDir}`);
console.log(`Open: ${host.url}`);

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  await host.close();
  await engine.dispose();
  process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
