import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useLinkState } from '../client/host-context';
import { AuditScreen } from '../features/audit/AuditScreen';
import { FeedScreen } from '../features/browse/FeedScreen';
import { StreamScreen } from '../features/browse/StreamScreen';
import { StreamsScreen } from '../features/browse/StreamsScreen';
import { ChartsScreen } from '../features/charts/ChartsScreen';
import { ConnectionsScreen } from '../features/connections/ConnectionsScreen';
import { OverviewScreen } from '../features/overview/OverviewScreen';
import { TimeTravelScreen } from '../features/time-travel/TimeTravelScreen';
import { ActiveConnectionProvider } from './active-connection';
import { ConnectionStatusProvider } from './connection-statuses';
import { Header } from './Header';
import { LinkBanner } from './LinkBanner';
import { ROUTE_TITLES, useRoute, type Route } from './routes';
import { Sidebar } from './Sidebar';
import './shell.css';

export function App() {
  const route = useRoute();
  useRefetchAfterReconnect();
  return (
    <ConnectionStatusProvider>
      <ActiveConnectionProvider>
        <div className="shell">
          <Sidebar current={route} />
          <div className="shell__main">
            <LinkBanner />
            <Header title={ROUTE_TITLES[route]} />
            <main className="shell__content" data-testid={`screen-${route}`}>
              <Screen route={route} />
            </main>
          </div>
        </div>
      </ActiveConnectionProvider>
    </ConnectionStatusProvider>
  );
}

function Screen({ route }: { route: Route }) {
  switch (route) {
    case 'overview':
      return <OverviewScreen />;
    case 'connections':
      return <ConnectionsScreen />;
    case 'streams':
      return <StreamsScreen />;
    case 'stream':
      return <StreamScreen />;
    case 'feed':
      return <FeedScreen />;
    case 'charts':
      return <ChartsScreen />;
    case 'audit':
      return <AuditScreen />;
    case 'time-travel':
      return <TimeTravelScreen />;
  }
}

/** Whatever changed while the link was down is fetched again once it is back. */
function useRefetchAfterReconnect(): void {
  const queryClient = useQueryClient();
  const link = useLinkState();
  const generation = link.status === 'connected' ? link.generation : undefined;
  const seen = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (generation === undefined) return;
    if (seen.current !== undefined && seen.current !== generation) void queryClient.invalidateQueries();
    seen.current = generation;
  }, [generation, queryClient]);
}
