const STORAGE_KEY = 'chronoscope.token';

/**
 * Browser mode's session token: taken from `?token=` once, kept in
 * sessionStorage so reloads keep working, and removed from the address bar so
 * it does not linger in history, bookmarks or screenshots.
 */
export function takeSessionToken(): string | undefined {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    safeSessionStorage()?.setItem(STORAGE_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return safeSessionStorage()?.getItem(STORAGE_KEY) ?? undefined;
}

function safeSessionStorage(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined; // storage disabled: the HttpOnly cookie still authenticates
  }
}
