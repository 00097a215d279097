import type { Handlers } from '../dispatch/dispatcher';
import type { DriftService } from './service';

/** The drift operations; read-only refusal and the audit are the dispatcher's. */
export function driftHandlers({ drift }: { drift: DriftService }): Pick<Handlers, 'drift.verify' | 'drift.repair'> {
  return {
    'drift.verify': (input) => drift.verify(input),
    'drift.repair': (input) => drift.repair(input),
  };
}
