/**
 * The fold worker thread's entry, its own composition root as engine.ts is the engine's:
 * it gives the worker the built-ins engine.ts gives rebuilds. Bundled by electron-vite as
 * `out/main/fold-worker.js`; run from sources through tsx (fold-workers.ts).
 */
import { REFERENCE_POSTGRES_MODELS } from '../local-workspace/reference-read-models';
import { serveFoldWorker } from './fold-worker';

serveFoldWorker(REFERENCE_POSTGRES_MODELS);
