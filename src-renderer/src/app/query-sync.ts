/**
 * The pure rules that keep a screen's state and its address in step (used by `useQueryState`):
 * which part of the address a piece of state owns, how an edit is merged into the address,
 * and whether an edit opens a history entry.
 */
/** The parts of an address this module reads (routes.ts builds them; no import, so no cycle). */
interface AddressParts {
  route: string;
  id?: string;
  query: Readonly<Record<string, string>>;
}
type QueryInput = Readonly<Record<string, string | number | undefined>>;

/** `push` opens a history entry (a committed choice: a version, a row, a tab); `replace` rewrites the current one (typing in a filter). */
export type HistoryMode = 'push' | 'replace';

/**
 * What a piece of state reads from an address: its subject (route and id) and the values of the
 * query keys it owns. Two addresses with the same fingerprint name the same state, so only a
 * change of the fingerprint (Back, Forward, a link, a hand edit) re-derives it.
 */
export function fingerprintOf(address: AddressParts, keys: readonly string[]): string {
  return JSON.stringify([address.route, address.id ?? null, [...keys].sort().map((key) => address.query[key] ?? null)]);
}

/** The query an edit leaves: the owned keys as `owned` names them (blank or undefined ones removed), every other key as it was. */
export function mergedQuery(current: AddressParts['query'], owned: QueryInput): QueryInput {
  const merged: Record<string, string | number | undefined> = { ...current };
  for (const [key, value] of Object.entries(owned)) merged[key] = value === undefined ? '' : value;
  return merged;
}

/** A run of pushes closer together than this (a slider dragged, an arrow key held) makes one history entry. */
export const PUSH_BURST_MS = 600;

export interface LastPush {
  at: number;
  /** The hash that push wrote. */
  hash: string;
}

/**
 * A push right after this state's previous push, with the address still where that push left it,
 * rewrites that entry instead: Back then leaves the whole burst at once. After Back, Forward or any
 * other change of address, the next push opens an entry again.
 */
export function historyModeOf(wanted: HistoryMode, last: LastPush | undefined, now: number, currentHash: string): HistoryMode {
  if (wanted === 'replace') return 'replace';
  return last !== undefined && now - last.at < PUSH_BURST_MS && last.hash === currentHash ? 'replace' : 'push';
}
