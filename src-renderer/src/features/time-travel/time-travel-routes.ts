import { useSyncExternalStore } from 'react';

/** `#/time-travel/<url-encoded id>?version=N`: the time travel screen for one stream, optionally at one version. */
export function timeTravelHref(streamId?: string, version?: number): string {
  if (!streamId) return '#/time-travel';
  return `#/time-travel/${encodeURIComponent(streamId)}${version !== undefined ? `?version=${version}` : ''}`;
}

export interface TimeTravelLocation {
  streamId: string | undefined;
  version: number | undefined;
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

const currentHash = () => window.location.hash;

export function useTimeTravelLocation(): TimeTravelLocation {
  return parseTimeTravelHash(useSyncExternalStore(subscribe, currentHash));
}

export function parseTimeTravelHash(hash: string): TimeTravelLocation {
  const match = /^#\/time-travel\/([^?]*)(?:\?(.*))?$/.exec(hash);
  if (!match) return { streamId: undefined, version: undefined };
  let streamId: string | undefined;
  try {
    streamId = decodeURIComponent(match[1] ?? '') || undefined;
  } catch {
    streamId = undefined;
  }
  const raw = new URLSearchParams(match[2] ?? '').get('version');
  const version = raw !== null && /^\d+$/.test(raw) ? Number(raw) : undefined;
  return { streamId, version };
}

/** Keeps the address in step with the slider without a history entry per step (and without a hashchange). */
export function replaceVersionInAddress(streamId: string, version: number): void {
  const href = timeTravelHref(streamId, version);
  if (window.location.hash !== href) window.history.replaceState(window.history.state, '', href);
}
