import type { AggregateType } from '../events';
import { DomainRuleViolation } from '../errors';

/** What a decider emits: the event's type and data; the command handler wraps it into an envelope. */
export interface EventDraft<T extends string = string, D = unknown> {
  type: T;
  data: D;
}

/**
 * A pure aggregate: `decide` checks invariants against the current state and
 * returns the events to record (or throws DomainRuleViolation); `evolve` folds
 * one event into the state. No I/O, no clock, no randomness: the same inputs
 * always give the same outputs, which is what makes replay and snapshots agree.
 */
export interface Decider<C extends { type: string }, E extends EventDraft, S> {
  aggregateType: AggregateType;
  initialState(): S;
  decide(command: C, state: S): E[];
  evolve(state: S, event: E): S;
}

export function rule(condition: boolean, code: string, message: string): asserts condition {
  if (!condition) throw new DomainRuleViolation(code, message);
}

export function positiveInteger(value: number, what: string): void {
  rule(Number.isSafeInteger(value) && value > 0, 'invalid_amount', `${what} must be a positive integer (got ${value})`);
}

export function nonEmpty(value: string, what: string): void {
  rule(typeof value === 'string' && value.trim().length > 0, 'invalid_value', `${what} must not be empty`);
}
