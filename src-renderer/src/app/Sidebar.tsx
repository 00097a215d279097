import type { ReactNode } from 'react';
import { useOperation } from '../client/operation-hooks';
import { TimeTravelIcon } from '../features/time-travel/TimeTravelIcon';
import { AuditIcon, ChartsIcon, ConnectionsIcon, FeedIcon, LogoMark, OverviewIcon, StreamsIcon } from '../ui/icons';
import { hrefOf, ROUTE_TITLES, type Route } from './routes';

const NAVIGATION: { route: Route; icon: ReactNode }[] = [
  { route: 'overview', icon: <OverviewIcon /> },
  { route: 'connections', icon: <ConnectionsIcon /> },
  { route: 'streams', icon: <StreamsIcon /> },
  { route: 'feed', icon: <FeedIcon /> },
  { route: 'charts', icon: <ChartsIcon /> },
  { route: 'audit', icon: <AuditIcon /> },
  { route: 'time-travel', icon: <TimeTravelIcon /> },
];

export function Sidebar({ current }: { current: Route }) {
  // A single stream is reached from the stream list, so its entry stays lit.
  const lit: Route = current === 'stream' ? 'streams' : current;
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="sidebar__brand">
        <LogoMark />
        <span>Chronoscope</span>
      </div>
      <ul className="sidebar__nav">
        {NAVIGATION.map(({ route, icon }) => (
          <li key={route}>
            <a
              href={hrefOf(route)}
              className={route === lit ? 'sidebar__link sidebar__link--current' : 'sidebar__link'}
              aria-current={route === lit ? 'page' : undefined}
              data-testid={`nav-${route}`}
            >
              {icon}
              {ROUTE_TITLES[route]}
            </a>
          </li>
        ))}
      </ul>
      <SidebarFooter />
    </nav>
  );
}

function SidebarFooter() {
  const { data: info } = useOperation('app.info', {});
  if (!info) return null;
  return (
    <div className="sidebar__footer">
      <span>v{info.version}</span>
      <span>{info.mode === 'desktop' ? 'Desktop' : 'Browser mode'}</span>
    </div>
  );
}
