/**
 * Secrets written inside strings: the password of any `scheme://user:password@host`
 * URI and `password=...` style pairs of query strings and key=value DSNs.
 * Used for everything that is recorded (audit log) or shown (profiles, errors).
 */

const REDACTED = '[redacted]';

/**
 * `scheme://user:password@` up to the last `@` before the host list: a password may hold
 * an unescaped `@` or `/`, and masking too much of a log line is the safe side to err on.
 * The user runs to the first `:` (as MongoDB URIs are split), so a user typed with an
 * unescaped `@` or `/` does not hide the password after it.
 */
const URI_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^:\s]*):([^\s]*)@(?=[^@\s]*(?:$|\s))/gi;

/** `password=...`, `pwd=...`, `sasl.password=...`: up to a separator (`&`, `;`, whitespace, quote). */
const SECRET_PAIR = /\b((?:[a-z0-9_.-]*[._-])?(?:password|passwd|pwd|pass|secret|token|apikey|api_key|sharedaccesskey))(\s*=\s*)('[^']*'|"[^"]*"|[^&;\s'"]*)/gi;

export function redactSecretsInText(text: string): string {
  return text
    .replace(URI_USERINFO, (_all, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`)
    .replace(SECRET_PAIR, (_all, key: string, eq: string) => `${key}${eq}${REDACTED}`);
}

/** Whether a string carries a secret that `redactSecretsInText` would mask. */
export function holdsSecretInText(text: string): boolean {
  return redactSecretsInText(text) !== text;
}

/** Every string inside a JSON-like value passed through `redactSecretsInText`. */
export function redactSecretsDeep<T>(value: T): T {
  if (typeof value === 'string') return redactSecretsInText(value) as T;
  if (Array.isArray(value)) return value.map(redactSecretsDeep) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, redactSecretsDeep(v)])) as T;
}
