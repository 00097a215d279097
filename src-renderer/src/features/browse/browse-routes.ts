import { useSyncExternalStore } from 'react';

/** `#/stream/<url-encoded id>?version=N`: the stream screen, optionally at one version. */
export function streamHref(streamId: string, version?: number): string {
  return `#/stream/${encodeURIComponent(streamId)}${version !== undefined ? `?version=${version}` : ''}`;
}

export function openStream(streamId: string, version?: number): void {
  window.location.hash = streamHref(streamId, version);
}

export interface StreamLocation {
  streamId: string | undefined;
  version: number | undefined;
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

const currentHash = () => window.location.hash;

/** The stream (and version) the address names; re-renders when the address changes. */
export function useStreamLocation(): StreamLocation {
  const hash = useSyncExternalStore(subscribe, currentHash);
  return parseStreamHash(hash);
}

export function parseStreamHash(hash: string): StreamLocation {
  const match = /^#\/stream\/([^?]*)(?:\?(.*))?$/.exec(hash);
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
