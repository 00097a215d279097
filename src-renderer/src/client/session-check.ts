/**
 * Whether the browser-mode host is up but refuses this tab's token (401 from
 * its session check), as after a restart with a new token. False when it
 * accepts the token, cannot be reached or answers anything else: then
 * reconnecting with backoff is the right thing to do.
 */
export async function isTokenRefused(checkUrl: string, timeoutMs = 5_000): Promise<boolean> {
  try {
    const response = await fetch(checkUrl, { cache: 'no-store', credentials: 'same-origin', signal: AbortSignal.timeout(timeoutMs) });
    return response.status === 401;
  } catch {
    return false; // not reachable (still down, or restarting)
  }
}
