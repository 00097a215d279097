/**
 * A scale-out rebuild worker as a process of its own:
 *   bun run rebuild:worker < config.json
 * The configuration (see worker-config.ts) comes on standard input because it
 * holds passwords. Prints one JSON line per event (joined, batch, finished, failed)
 * and leaves once the rebuild is finished. SIGTERM/SIGINT leave the group cleanly;
 * kill -9 is safe too: the next member resumes from the offsets stored with the rows.
 */
// This process's own composition root, as engine.ts is the engine's: it gives the worker the built-ins engine.ts gives rebuilds.
import { REFERENCE_READ_MODELS } from '../../local-workspace/reference-read-models';
import { parseWorkerConfig } from './worker-config';
import { runWorker } from './worker';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const stop = new AbortController();
process.once('SIGTERM', () => stop.abort());
process.once('SIGINT', () => stop.abort());
// Started by Chronoscope (an IPC channel): leave when it goes away, even killed, rather than idle as an orphan.
if (process.send) process.once('disconnect', () => stop.abort());
const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

// No top-level await: the same file is bundled by electron-vite as `out/main/rebuild-worker.js`.
readStdin()
  .then((text) => runWorker(parseWorkerConfig(text), REFERENCE_READ_MODELS, { signal: stop.signal, report: print }))
  .then(
    () => process.exit(0),
    (err: unknown) => {
      print({ event: 'failed', fatal: (err as Error).name === 'WorkerFatal' || (err as Error).name === 'DefinitionFailure', message: (err as Error).message });
      process.exit(2);
    },
  );
