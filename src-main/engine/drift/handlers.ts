import type { Handlers } from '../dispatch/dispatcher';
import type { driftStatus } from './drift-watch';
import type { DriftService } from './service';

/** The drift operations; read-only refusal and the audit are the dispatcher's. */
export function driftHandlers({
  drift,
  status,
}: {
  drift: DriftService;
  status: (connectionId: string) => ReturnType<typeof driftStatus>;
}): Pick<Handlers, 'drift.verify' | 'drift.repair' | 'drift.status'> {
  return {
    'drift.verify': (input) => drift.verify(input),
    'drift.repair': (input) => drift.repair(input),
    'drift.status': (input) => status(input.connectionId),
  };
}
