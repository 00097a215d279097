/**
 * What the hosts of both sandboxes (sandbox.ts for time travel, read-model-sandbox.ts for
 * rebuilds) do the same way on this side of the worker: spawn it in a slot of the pool,
 * and read the context's answers, which the preludes send as JSON text.
 */
import { Worker } from 'node:worker_threads';
import { sandboxPool, type AcquireOptions, type SandboxPool } from './sandbox-pool';
import { EXTERNAL_MEMORY_GUARD_TEXT } from './sandbox-text.generated';

export interface WireError {
  name: string;
  message: string;
  stack: string;
}

/** A failed call: `index` is the batch's event the definition failed at (-1: none); `memory` when it went past its limit outside the heap. */
export interface FailedAnswer {
  ok: false;
  timeout: boolean;
  memory: boolean;
  index: number;
  error: WireError;
}

/** One answer of the context, parsed here from its text (host objects only); `Ok` is the sandbox's own success shape. */
export function parseAnswer<Ok extends { ok: true }>(text: unknown): Ok | FailedAnswer {
  let value: unknown;
  try {
    value = typeof text === 'string' ? JSON.parse(text) : undefined;
  } catch {
    value = undefined;
  }
  if (value === null || typeof value !== 'object')
    return {
      ok: false,
      timeout: false,
      memory: false,
      index: -1,
      error: { name: 'Error', message: 'the sandbox gave an answer that cannot be read', stack: '' },
    };
  const answer = value as Record<string, unknown>;
  if (answer.ok === true) return answer as Ok;
  const error = (answer.error !== null && typeof answer.error === 'object' ? answer.error : {}) as Record<string, unknown>;
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    ok: false,
    timeout: answer.timeout === true,
    memory: answer.memory === true,
    index: typeof answer.index === 'number' ? answer.index : -1,
    error: { name: str(error.name) || 'Error', message: str(error.message), stack: str(error.stack) },
  };
}

/** What a user reads when a definition went past its limit outside the JavaScript heap (external-memory-guard.js). */
export function externalMemoryMessage(name: string, limitMb: number): string {
  return `Definition "${name}" allocated more than ${limitMb} MB outside the JavaScript heap (ArrayBuffers); it was stopped.`;
}

export interface PooledWorkerOptions extends AcquireOptions {
  /** The pool whose slot the worker holds while it lives; the process-wide one by default. */
  pool?: SandboxPool | undefined;
  /** The worker's own data; the guard's text and the limit outside the heap are added to it. */
  workerData: Record<string, unknown>;
  /** Old-generation heap, in MB; also what the definition may hold outside the heap (ArrayBuffers). */
  memoryMb: number;
  /** Young-generation heap, in MB. */
  youngGenerationMb: number;
}

/**
 * A worker running `code` (CommonJS text), spawned only once a slot of the pool is free (the
 * isolate costs tens of MB), with heap limits, the same limit on what the definition holds
 * outside the heap (external-memory-guard.js) and no environment. Every way a worker ends
 * (done, failure, terminate, abort) ends in its exit, which frees the slot.
 */
export async function startPooledWorker(code: string, options: PooledWorkerOptions): Promise<Worker> {
  const release = await (options.pool ?? sandboxPool).acquire({ signal: options.signal, onQueued: options.onQueued });
  let worker: Worker;
  try {
    worker = new Worker(code, {
      eval: true,
      workerData: { ...options.workerData, guard: EXTERNAL_MEMORY_GUARD_TEXT, externalLimitMb: options.memoryMb },
      resourceLimits: { maxOldGenerationSizeMb: options.memoryMb, maxYoungGenerationSizeMb: options.youngGenerationMb, stackSizeMb: 4 },
      stdout: true,
      stderr: true,
      env: {},
    });
  } catch (err) {
    release();
    throw err;
  }
  worker.once('exit', release);
  return worker;
}
