/**
 * The loop both lag samplers run on (projector checkpoints, Kafka groups):
 * rounds one after another, a slow one delaying the next instead of piling
 * up, each wait as long as the interval the Settings give at that moment.
 */
export interface SamplingLoopDeps {
  round(): Promise<void>;
  /** Read before each wait, so a new interval applies to the next round. */
  intervalMs(): number;
  onError?(err: unknown): void;
}

export class SamplingLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private started = false;

  constructor(private readonly deps: SamplingLoopDeps) {}

  /** Starts the rounds, the first after `firstDelayMs` (the interval by default); a second call does nothing. */
  start(firstDelayMs = this.deps.intervalMs()): void {
    if (this.started) return;
    this.started = true;
    this.schedule(firstDelayMs);
  }

  /** Stops the rounds, waiting for one under way. */
  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Runs a round now, after any under way (a test waiting on a condition, the bench). */
  runNow(): Promise<void> {
    return this.enqueue();
  }

  /** The interval changed: a wait under way starts over with it, counted from now (a round under way is followed by the new wait anyway). */
  intervalChanged(): void {
    if (!this.started || this.running || !this.timer) return;
    clearTimeout(this.timer);
    this.schedule(this.deps.intervalMs());
  }

  /** A round after the one under way, if any: rounds never overlap. */
  private enqueue(): Promise<void> {
    const round = (this.running ?? Promise.resolve()).then(() => this.deps.round());
    const settled = round.catch(() => undefined);
    this.running = settled;
    void settled.then(() => {
      if (this.running === settled) this.running = undefined;
    });
    return round;
  }

  private schedule(delay: number): void {
    if (!this.started) return;
    clearTimeout(this.timer); // a stop and start while a round ran: one wait, not two
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.enqueue()
        .catch((err: unknown) => this.deps.onError?.(err))
        .finally(() => this.schedule(this.deps.intervalMs()));
    }, delay);
    this.timer.unref?.();
  }
}
