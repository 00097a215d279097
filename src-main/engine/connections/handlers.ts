import type { Handlers } from '../dispatch/dispatcher';
import { sleepUnlessAborted } from '../util/sleep';
import type { ConnectionScopes } from './connection-scope';
import type { Connections } from './connections';

export interface ConnectionHandlerDeps {
  connections: Connections;
  /** A profile changed or removed: its scope (clients, store, ports, key cache) is replaced as a whole. */
  scopes: Pick<ConnectionScopes, 'replace'>;
}

type ConnectionOperation = 'connections.list' | 'connections.add' | 'connections.update' | 'connections.remove' | 'connections.test' | 'connections.status';

/** Saved connection profiles: their list, changes, and reachability. */
export function connectionHandlers({ connections, scopes }: ConnectionHandlerDeps): Pick<Handlers, ConnectionOperation> {
  return {
    'connections.list': () => connections.list(),
    'connections.add': (input) => connections.add(input),
    'connections.update': async (input) => {
      const view = await connections.update(input);
      await scopes.replace(input.id);
      return view;
    },
    'connections.remove': async (input) => {
      const result = await connections.remove(input.id, input.dryRun === true);
      if (result.removed) await scopes.replace(input.id);
      return result;
    },
    'connections.test': (input, context) => connections.test(input, context.signal),
    'connections.status': async (input, context) => {
      let rounds = 0;
      while (!context.signal.aborted) {
        context.emit(await connections.checkAll(context.signal));
        rounds += 1;
        await sleepUnlessAborted(input.intervalMs, context.signal);
      }
      return { rounds };
    },
  };
}
