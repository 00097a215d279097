import { buildHash, parseHash, replaceAddress, useAddress, versionParam, type Address } from '../../app/routes';

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

/** Keeps the address in step with the slider without a history entry per step (and without a hashchange). */
export function replaceVersionInAddress(streamId: string, version: number): void {
  replaceAddress(timeTravelHref(streamId, version));
}
