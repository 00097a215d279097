import { useSyncExternalStore } from 'react';

export const ROUTES = ['overview', 'connections', 'streams', 'stream', 'feed', 'charts', 'audit', 'time-travel'] as const;
export type Route = (typeof ROUTES)[number];

export const ROUTE_TITLES: Record<Route, string> = {
  overview: 'Overview',
  connections: 'Connections',
  streams: 'Streams',
  stream: 'Stream',
  feed: 'Global feed',
  charts: 'Charts',
  audit: 'Audit log',
  'time-travel': 'Time travel',
};

export function hrefOf(route: Route): string {
  return `#/${route}`;
}

function currentRoute(): Route {
  const name = window.location.hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return (ROUTES as readonly string[]).includes(name ?? '') ? (name as Route) : 'overview';
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

/** Hash routing: works from file:// in Electron and needs no router dependency. */
export function useRoute(): Route {
  return useSyncExternalStore(subscribe, currentRoute);
}
