import { buildHash, navigate, parseHash, useAddress, versionParam } from '../../app/routes';

/** `#/stream/<url-encoded id>?version=N`: the stream screen, optionally at one version. */
export function streamHref(streamId: string, version?: number): string {
  return buildHash('stream', streamId, { version });
}

export function openStream(streamId: string, version?: number): void {
  navigate(streamHref(streamId, version));
}

export interface StreamLocation {
  streamId: string | undefined;
  version: number | undefined;
}

/** The stream (and version) the address names; re-renders when the address changes. */
export function useStreamLocation(): StreamLocation {
  return locationOf(useAddress());
}

export function parseStreamHash(hash: string): StreamLocation {
  return locationOf(parseHash(hash));
}

function locationOf(address: ReturnType<typeof parseHash>): StreamLocation {
  if (address.route !== 'stream') return { streamId: undefined, version: undefined };
  return { streamId: address.id, version: versionParam(address.query.version) };
}
