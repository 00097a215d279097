import { useCallback, useRef, useState, useSyncExternalStore } from 'react';
import { fingerprintOf, historyModeOf, mergedQuery, type HistoryMode, type LastPush } from './query-sync';

export type { HistoryMode } from './query-sync';

/**
 * The one place addresses are parsed and built. Hash routing (`#/<route>[/<id>][?query]`)
 * works from file:// in Electron and needs no router dependency.
 */
/** A screen's name in the address (`#/<route>`). Each feature declares its own; app/features.ts registers them. */
export type Route = string;

/** The routes some screen answers; filled by app/features.ts, so a new screen touches no list here. */
const knownRoutes = new Set<Route>(['overview']);

export function registerRoutes(routes: Iterable<Route>): void {
  for (const route of routes) knownRoutes.add(route);
}

/** Query values as the address carries them; empty values are left out. */
export type Query = Readonly<Record<string, string>>;

export interface Address {
  route: Route;
  /** The route's subject, e.g. a stream id (`#/stream/<id>`). */
  id?: string;
  query: Query;
}

export const DEFAULT_ROUTE: Route = 'overview';

function isRoute(name: string): name is Route {
  return knownRoutes.has(name);
}

/** Any hash to an address: unknown routes fall back to the overview, a malformed id or query part is dropped. */
export function parseHash(hash: string): Address {
  const body = hash.replace(/^#\/?/, '');
  const queryStart = body.indexOf('?');
  const path = queryStart < 0 ? body : body.slice(0, queryStart);
  const search = queryStart < 0 ? '' : body.slice(queryStart + 1);
  const slash = path.indexOf('/');
  const name = slash < 0 ? path : path.slice(0, slash);
  if (!isRoute(name)) return { route: DEFAULT_ROUTE, query: {} };
  const rawId = slash < 0 ? '' : path.slice(slash + 1);
  let id: string | undefined;
  try {
    id = decodeURIComponent(rawId) || undefined;
  } catch {
    id = undefined;
  }
  const query: Record<string, string> = {};
  try {
    for (const [key, value] of new URLSearchParams(search)) if (value !== '') query[key] = value;
  } catch {
    // A query that cannot be decoded names no filter.
  }
  return id === undefined ? { route: name, query } : { route: name, id, query };
}

export type QueryInput = Readonly<Record<string, string | number | undefined>>;

/** An address to its hash; query keys with empty or undefined values are left out, the rest sorted so one address has one hash. */
export function buildHash(route: Route, id?: string, query: QueryInput = {}): string {
  const params = new URLSearchParams();
  for (const key of Object.keys(query).sort()) {
    const value = query[key];
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return `#/${route}${id ? `/${encodeURIComponent(id)}` : ''}${search ? `?${search}` : ''}`;
}

export function hrefOf(route: Route): string {
  return buildHash(route);
}

/** A whole, non-negative number from the query, else undefined. */
export function versionParam(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

/** Opens an address as a new history entry. */
export function navigate(hash: string): void {
  window.location.hash = hash;
}

/** Screens that read the address, told when a screen rewrites it (history.pushState/replaceState fire no event). */
const writeListeners = new Set<() => void>();

/** Writes the address as a new history entry (`push`) or in place of the current one (`replace`), without a hashchange. */
export function writeAddress(hash: string, mode: HistoryMode): void {
  if (window.location.hash === hash) return;
  if (mode === 'push') window.history.pushState(null, '', hash);
  else window.history.replaceState(window.history.state, '', hash);
  for (const listener of [...writeListeners]) listener();
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  window.addEventListener('popstate', listener);
  writeListeners.add(listener);
  return () => {
    window.removeEventListener('hashchange', listener);
    window.removeEventListener('popstate', listener);
    writeListeners.delete(listener);
  };
}

const currentHash = () => window.location.hash;

/** The current hash; re-renders when it changes, whether by navigation (links, Back, typing) or by a screen writing it. */
export function useHash(): string {
  return useSyncExternalStore(subscribe, currentHash);
}

/** The current address; re-renders when it changes. */
export function useAddress(): Address {
  // Parsing is cheap; the hash string keeps the snapshot stable.
  return parseHash(useHash());
}

/** The current route; unlike `useAddress`, a screen rewriting its own query does not re-render the shell. */
export function useRoute(): Route {
  return useSyncExternalStore(subscribe, () => parseHash(window.location.hash).route);
}

export interface QueryStateOptions {
  /** How an edit without an explicit mode writes the address; `replace` (filters being typed) unless said otherwise. */
  history?: HistoryMode;
}

/**
 * A piece of a screen's state kept in the address, which is its single source of truth: the state is
 * what the address names, re-derived whenever the address changes (Back, Forward, a link, a hand edit),
 * and an edit writes the address (`push` for a committed choice, `replace` for typing).
 *
 * `toQuery` names every query key the state owns (undefined when blank). Between changes of those keys
 * the state keeps the value as set, so text being typed is not reshaped by `fromQuery`'s parsing.
 */
export function useQueryState<T>(
  fromQuery: (query: Query) => T,
  toQuery: (value: T) => QueryInput,
  options: QueryStateOptions = {},
): [T, (next: T, mode?: HistoryMode) => void] {
  const address = useAddress();
  const keysOf = (value: T) => Object.keys(toQuery(value));
  const [synced, setSynced] = useState(() => {
    const value = fromQuery(address.query);
    return { value, route: address.route, id: address.id, fingerprint: fingerprintOf(address, keysOf(value)) };
  });
  let current = synced;
  // The address names another state for this screen: it wins (the screen's own edits left the fingerprint as they wrote it).
  if (address.route === synced.route && fingerprintOf(address, keysOf(synced.value)) !== synced.fingerprint) {
    const value = fromQuery(address.query);
    current = { value, route: address.route, id: address.id, fingerprint: fingerprintOf(address, keysOf(value)) };
    setSynced(current);
  }

  const toQueryRef = useRef(toQuery);
  toQueryRef.current = toQuery;
  const lastPush = useRef<LastPush | undefined>(undefined);
  const defaultMode = options.history ?? 'replace';
  const { route, id } = current;
  const set = useCallback(
    (next: T, mode: HistoryMode = defaultMode) => {
      const here = parseHash(window.location.hash);
      // A late edit (a debounced input, an answer arriving) after the screen or its subject was left must not rewrite another's address.
      if (here.route !== route || here.id !== id) return;
      const owned = toQueryRef.current(next);
      const hash = buildHash(here.route, here.id, mergedQuery(here.query, owned));
      const how = historyModeOf(mode, lastPush.current, Date.now(), window.location.hash);
      if (mode === 'push') lastPush.current = { at: Date.now(), hash };
      setSynced({ value: next, route, id, fingerprint: fingerprintOf(parseHash(hash), Object.keys(owned)) });
      writeAddress(hash, how);
    },
    [route, id, defaultMode],
  );
  return [current.value, set];
}
