import { ChronoError } from './errors';

/**
 * A MongoDB connection string split into the part that may be stored (scheme, hosts,
 * database, options) and the credentials, which may not. One parser for the engine
 * (profiles, secrets) and the renderer (the form), so both read a URI the same way.
 *
 * A password typed in clear may hold `/`, `@`, `:`, `?`: it runs from the first `:` after
 * `//` to the `@` that starts the host list. That `@` is the only one after which a host
 * list follows (`h1:27017,h2` then nothing, `/db` or `?options`; a database name holds no
 * `@`, options may). When no `@` or more than one fits, the URI is refused: guessing would
 * either store part of the password or send it to the wrong host.
 */
export interface MongoUriParts {
  /** The URI without user and password. */
  uri: string;
  user?: string;
  password?: string;
}

const SCHEME = /^mongodb(?:\+srv)?:\/\//i;
const HOST = String.raw`(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%-]+)(?::\d{1,5})?`;
/** A host list, then the end, a database (no `/`, `?` or `@` in it), options, or both. */
const HOSTS_THEN_REST = new RegExp(String.raw`^${HOST}(?:,${HOST})*(?:/[^/?@]*)?(?:\?.*)?$`, 's');

const ENCODE_HINT = 'write it percent-encoded (@ as %40, / as %2F, : as %3A, ? as %3F, % as %25) or leave it out of the URI and type it in the password field';

/** The URI's parts, or a sentence saying why it cannot be split without guessing (it never quotes the URI). */
export function readMongoUri(uri: string): MongoUriParts | { problem: string } {
  const trimmed = uri.trim();
  const scheme = SCHEME.exec(trimmed)?.[0];
  if (!scheme) return { uri: trimmed };
  const body = trimmed.slice(scheme.length);
  if (!body.includes('@')) return { uri: trimmed };
  // Every place the host list could start: right after `//` (no credentials) or after an `@`.
  const starts = [0, ...[...body.matchAll(/@/g)].map((m) => m.index + 1)].filter((start) => HOSTS_THEN_REST.test(body.slice(start)));
  if (starts.length === 0)
    return { problem: `The MongoDB URI has an "@" but no host list after it, so where the password ends cannot be told; ${ENCODE_HINT}.` };
  if (starts.length > 1) {
    return {
      problem: `The MongoDB URI can be read in more than one way: an "@" in the password or in an option makes it unclear where the host list starts; ${ENCODE_HINT}.`,
    };
  }
  const start = starts[0]!;
  if (start === 0) return { uri: trimmed };
  const userInfo = body.slice(0, start - 1);
  const colon = userInfo.indexOf(':');
  const user = decode(colon < 0 ? userInfo : userInfo.slice(0, colon));
  const password = colon < 0 ? undefined : decode(userInfo.slice(colon + 1));
  if (user === null || password === null)
    return { problem: `The user or password in the MongoDB URI holds a "%" that is not followed by two hexadecimal digits; ${ENCODE_HINT}.` };
  return { uri: `${scheme}${body.slice(start)}`, ...(user ? { user } : {}), ...(password !== undefined ? { password } : {}) };
}

/** The URI's parts; a URI that cannot be split without guessing is refused (invalid_input on `settings.uri`). */
export function splitMongoUri(uri: string): MongoUriParts {
  const parts = readMongoUri(uri);
  if ('problem' in parts) throw new ChronoError('invalid_input', parts.problem, { problems: [{ field: 'settings.uri', message: parts.problem }] });
  return parts;
}

function decode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}
