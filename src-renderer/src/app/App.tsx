import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, type ComponentType } from 'react';
import { useLinkState } from '../client/host-context';
import { ActiveConnectionProvider } from './active-connection';
import { ConnectionStatusProvider } from './connection-statuses';
import { Header } from './Header';
import { LinkBanner } from './LinkBanner';
import { featureOf } from './features';
import { useRoute } from './routes';
import { SettingsProvider, useSettings } from './settings';
import { Sidebar } from './Sidebar';
import './shell.css';

export function App() {
  const route = useRoute();
  const { title, Screen } = featureOf(route);
  useRefetchAfterReconnect();
  return (
    <SettingsProvider>
      <ConnectionStatusProvider>
        <ActiveConnectionProvider>
          <div className="shell">
            <Sidebar current={route} />
            <div className="shell__main">
              <LinkBanner />
              <Header title={title} />
              <ScreenArea route={route} Screen={Screen} />
            </div>
          </div>
        </ActiveConnectionProvider>
      </ConnectionStatusProvider>
    </SettingsProvider>
  );
}

/** The screen, drawn afresh when the time zone changes, so every time it shows is in the new zone (filters live in the address). */
function ScreenArea({ route, Screen }: { route: string; Screen: ComponentType }) {
  const { timeZone } = useSettings();
  return (
    <main key={timeZone} className="shell__content" data-testid={`screen-${route}`} data-time-zone={timeZone}>
      <Screen />
    </main>
  );
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
