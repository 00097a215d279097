/**
 * Browser mode entry (`bun run serve`): the engine plus the WebSocket/HTTP host
 * on 127.0.0.1. Plain Node, no Electron.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultDataDir } from './engine/data-dir';
import { createEngine } from './engine/engine';
import { startBrowserHost } from './transport/browser-host';
import { loadSessionToken, tokenFileOf, TokenSourceError, type SessionToken } from './transport/token-source';
import { liveDemoWorkspace } from './engine/local-workspace/seed';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.CHRONOSCOPE_PORT ?? '7717' },
    'data-dir': { type: 'string' },
    'renderer-dir': { type: 'string' },
    'no-demo': { type: 'boolean', default: false },
    /** Keep the token in this file (made with mode 0600 when missing), so a restart keeps open tabs working. */
    'token-file': { type: 'string' },
    /** The same, with the file `browser-token` in the data directory. */
    'persist-token': { type: 'boolean', default: false },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a number between 0 and 65535 (got "${values.port}")`);
  process.exit(2);
}

const dataDir = values['data-dir'] ?? defaultDataDir();
const tokenFile = tokenFileOf({ tokenFile: values['token-file'], persistToken: values['persist-token'] }, dataDir);
let session: SessionToken;
try {
  session = await loadSessionToken({ tokenFile, dataDir });
} catch (error) {
  if (!(error instanceof TokenSourceError)) throw error;
  console.error(error.message);
  process.exit(2);
}
const engine = createEngine({
  dataDir,
  mode: 'browser',
  startLocalWorkspace: true,
  watchDrift: true,
  ...(values['no-demo'] ? {} : { initializeLocalWorkspace: liveDemoWorkspace }),
});
const host = await startBrowserHost({
  dispatcher: engine.dispatcher,
  rendererDir: values['renderer-dir'] ?? fileURLToPath(new URL('../renderer', import.meta.url)),
  port,
  downloadsDir: engine.exportsDir,
  token: session.token,
});

console.log(`Chronoscope (browser mode) — data in ${dataDir}`);
console.log(tokenNote(session));
// The only line that shows the token.
console.log(`Open: ${host.url}`);

function tokenNote(source: SessionToken): string {
  if (source.source === 'env') return 'Token: from CHRONOSCOPE_TOKEN; open tabs reconnect after a restart with the same one.';
  if (source.source === 'file') return `Token: ${source.created ? 'made and kept' : 'kept'} in ${source.file}; open tabs reconnect after a restart.`;
  return 'Token: new for this start; after a restart, open the new URL (--token-file or CHRONOSCOPE_TOKEN keep one).';
}

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
