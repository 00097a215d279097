import { useOperation } from '../client/operation-hooks';
import { LogoMark } from '../ui/icons';
import { FEATURES, featureOf } from './features';
import { hrefOf, type Route } from './routes';

const NAVIGATION = FEATURES.filter((feature) => feature.icon !== undefined);

export function Sidebar({ current }: { current: Route }) {
  const lit: Route = featureOf(current).navParent ?? current;
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="sidebar__brand">
        <LogoMark />
        <span>Chronoscope</span>
      </div>
      <ul className="sidebar__nav">
        {NAVIGATION.map(({ route, title, icon }) => (
          <li key={route}>
            <a
              href={hrefOf(route)}
              className={route === lit ? 'sidebar__link sidebar__link--current' : 'sidebar__link'}
              aria-current={route === lit ? 'page' : undefined}
              data-testid={`nav-${route}`}
            >
              {icon}
              {title}
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
