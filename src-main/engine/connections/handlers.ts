import type { Handlers } from '../dispatch/dispatcher';
import { sleepUnlessAborted } from '../util/sleep';
import type { ConnectionScopes } from './connection-scope';
import type { Connections } from './connections';

export interface ConnectionHandlerDeps {
  connections: Connections;
  /** A profile's target changed or the profile went: its scope (clients, store, ports, key cache) is replaced as a whole. */
  scopes: Pick<ConnectionScopes, 'replace' | 'forgetKeys'>;
}

type ConnectionOperation = 'connections.list' | 'connections.add' | 'connections.update' | 'connections.remove' | 'connections.test' | 'connections.status';

/** Saved connection profiles: their list, changes, and reachability. */
export function connectionHandlers({ connections, scopes }: ConnectionHandlerDeps): Pick<Handlers, ConnectionOperation> {
  return {
    'connections.list': () => connections.list(),
    'connections.add': (input) => connections.add(input),
    'connections.update': async (input) => {
      const before = await connections.resolve(input.id);
      const view = await connections.update(input);
      const after = await connections.resolve(input.id);
      // Only a change of where or how to connect replaces the scope: a rename, a flag or a pipeline
      // must not end the clients a running rebuild or erasure is using.
      if (JSON.stringify([before.settings, before.secret]) !== JSON.stringify([after.settings, after.secret])) await scopes.replace(input.id);
      else if (before.mayDecryptPersonalData && !after.mayDecryptPersonalData) scopes.forgetKeys(input.id);
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
