import { buildHash, parseHash, useAddress, versionParam, type Address, type Query, type QueryInput } from '../../app/routes';

/** `#/time-travel/<url-encoded id>?version=N`: the time travel screen for one stream, optionally at one version. */
export function timeTravelHref(streamId?: string, version?: number): string {
  return buildHash('time-travel', streamId, { version });
}

export interface TimeTravelLocation {
  streamId: string | undefined;
  version: number | undefined;
}

export function useTimeTravelLocation(): TimeTravelLocation {
  return locationOf(useAddress());
}

export function parseTimeTravelHash(hash: string): TimeTravelLocation {
  return locationOf(parseHash(hash));
}

function locationOf(address: Address): TimeTravelLocation {
  if (address.route !== 'time-travel') return { streamId: undefined, version: undefined };
  return { streamId: address.id, version: versionParam(address.query.version) };
}

/** The point the screen shows: a version, or a time still to be resolved to one (`?version=N` or `?time=<ISO>`); neither is the latest. */
export interface TimeTravelPoint {
  version?: number;
  time?: string;
}

export function pointFromQuery(query: Query): TimeTravelPoint {
  const version = versionParam(query.version);
  if (version !== undefined) return { version };
  const time = query.time !== undefined && !Number.isNaN(Date.parse(query.time)) ? query.time : undefined;
  return time !== undefined ? { time } : {};
}

export const pointToQuery = (point: TimeTravelPoint): QueryInput => ({ version: point.version, time: point.version === undefined ? point.time : undefined });

export type TimeTravelTab = 'history' | 'compare';

export const tabFromQuery = (query: Query): TimeTravelTab => (query.tab === 'compare' ? 'compare' : 'history');
export const tabToQuery = (tab: TimeTravelTab): QueryInput => ({ tab: tab === 'compare' ? tab : undefined });

/** The two points last compared, as typed (a version or a time): `?a=…&b=…`. */
export interface ComparedPoints {
  a: string;
  b: string;
}

export const comparedFromQuery = (query: Query): ComparedPoints | undefined =>
  query.a !== undefined && query.b !== undefined ? { a: query.a, b: query.b } : undefined;
export const comparedToQuery = (points: ComparedPoints | undefined): QueryInput => ({ a: points?.a, b: points?.b });

/** The projection definition used (`?definition=…`); `auto` picks one by the stream and is left out. */
export const definitionFromQuery = (query: Query): string => query.definition ?? 'auto';
export const definitionToQuery = (definition: string): QueryInput => ({ definition: definition === 'auto' ? undefined : definition });
