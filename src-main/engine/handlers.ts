import type { OperationName } from '../../src-shared/operations';
import type { Handlers } from './dispatch/dispatcher';

/** What a capability's `xxxHandlers(deps)` returns: the handlers of its own operations. */
export type HandlerGroup = Partial<Handlers>;

type KeysOf<T> = T extends unknown ? keyof T : never;
/** Operations handled by more than one group. */
type Duplicated<Groups extends readonly unknown[], Seen extends PropertyKey = never> = Groups extends readonly [infer Head, ...infer Rest]
  ? (keyof Head & Seen) | Duplicated<Rest, Seen | keyof Head>
  : never;
type Missing<Groups extends readonly unknown[]> = Exclude<OperationName, KeysOf<Groups[number]>>;
/** Resolves to `unknown` when every operation has exactly one handler, else to a type naming the culprits. */
type ExactlyOnce<Groups extends readonly unknown[]> = [Duplicated<Groups>] extends [never]
  ? [Missing<Groups>] extends [never]
    ? unknown
    : { operationsWithoutHandler: Missing<Groups> }
  : { operationsHandledTwice: Duplicated<Groups> };

/**
 * Joins the capabilities' handler groups into the engine's one table. The type
 * refuses an operation without a handler or with two; the run-time check
 * repeats the second for groups typed loosely.
 */
export function composeHandlers<const Groups extends readonly HandlerGroup[]>(...groups: Groups & ExactlyOnce<Groups>): Handlers {
  const table: Record<string, unknown> = {};
  for (const group of groups as readonly HandlerGroup[]) {
    for (const [name, handler] of Object.entries(group)) {
      if (name in table) throw new Error(`Operation "${name}" has two handlers.`);
      table[name] = handler;
    }
  }
  return table as Handlers;
}
