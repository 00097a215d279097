/**
 * A cap on sandbox workers alive at once: each holds a V8 isolate (tens of MB), so
 * 60 concurrent replays must not start 60 workers. A start beyond the cap waits in
 * line, told how many runs are ahead of it, until a worker exits.
 */
import { availableParallelism } from 'node:os';

/** Workers alive at once by default: one per core, at least two. */
export function defaultMaxWorkers(): number {
  const configured = Number(process.env.CHRONOSCOPE_MAX_SANDBOX_WORKERS);
  if (Number.isInteger(configured) && configured > 0) return configured;
  return Math.max(2, availableParallelism());
}

interface Waiter {
  grant: (release: () => void) => void;
  reject: (reason: unknown) => void;
  onQueued: ((ahead: number) => void) | undefined;
}

export interface AcquireOptions {
  signal?: AbortSignal | undefined;
  /** Called while the run waits, with how many runs are ahead of it (again whenever that changes). */
  onQueued?: ((ahead: number) => void) | undefined;
}

export class SandboxPool {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private max = defaultMaxWorkers()) {}

  /** Workers holding a slot now. */
  get active(): number {
    return this.running;
  }

  /** Runs waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  get limit(): number {
    return this.max;
  }

  /** Changes the cap; runs already waiting start if it grew. */
  setLimit(max: number): void {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('the sandbox worker limit must be a positive integer');
    this.max = max;
    this.drain();
  }

  /** Resolves with a `release` to call once the worker has exited (calling it twice is harmless). */
  acquire(options: AcquireOptions = {}): Promise<() => void> {
    const { signal, onQueued } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.running < this.max && this.waiting.length === 0) return Promise.resolve(this.take());
    return new Promise<() => void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        this.tellPositions(index);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
        reject,
        onQueued,
      };
      this.waiting.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      onQueued?.(this.waiting.length);
    });
  }

  private take(): () => void {
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.drain();
    };
  }

  private drain(): void {
    let granted = 0;
    while (this.running < this.max && this.waiting.length > 0) {
      this.waiting.shift()!.grant(this.take());
      granted++;
    }
    if (granted > 0) this.tellPositions(0);
  }

  /** Tells the waiters from `from` on their new place in line. */
  private tellPositions(from: number): void {
    for (let i = Math.max(0, from); i < this.waiting.length; i++) this.waiting[i]!.onQueued?.(i + 1);
  }
}

/** The pool every sandbox run of this process draws from. */
export const sandboxPool = new SandboxPool();
