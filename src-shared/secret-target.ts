import { ChronoError } from './errors';
import { readMongoUri } from './mongo-uri';
import type { ConnectionSettings } from './schemas/connections';

/**
 * Where a stored secret may be sent: the server, the account, and how well the
 * secret is protected on the way. A saved password is only reused while all of
 * these stay the same, so an edited profile can never carry it to another host.
 */
export interface TargetChange {
  /** The settings field that changed, as the form names it (e.g. `settings.host`). */
  field: string;
  /** What changed, for a sentence: "the host". */
  label: string;
}

const SSL_STRENGTH = { disable: 0, require: 1, 'verify-full': 2 } as const;
const SASL_STRENGTH = { plain: 0, 'scram-sha-256': 1, 'scram-sha-512': 1 } as const;

/** Whether connecting with these settings would send the stored secret at all. */
export function sendsSecret(settings: ConnectionSettings): boolean {
  if (settings.kind === 'postgres') return true;
  if (settings.kind === 'mongo') return Boolean(settings.user || mongoTarget(settings.uri).user);
  return settings.sasl !== undefined;
}

/** The first thing that makes `next` another target than the one the secret was saved for; undefined when the secret would not be sent. */
export function targetChange(saved: ConnectionSettings, next: ConnectionSettings): TargetChange | undefined {
  if (!sendsSecret(next)) return undefined;
  if (saved.kind !== next.kind) return { field: 'settings.kind', label: 'the kind of connection' };
  if (saved.kind === 'postgres' && next.kind === 'postgres') {
    if (!sameHost(saved.host, next.host)) return { field: 'settings.host', label: 'the host' };
    if (saved.port !== next.port) return { field: 'settings.port', label: 'the port' };
    if (saved.user !== next.user) return { field: 'settings.user', label: 'the user' };
    if (SSL_STRENGTH[next.sslMode] < SSL_STRENGTH[saved.sslMode]) return { field: 'settings.sslMode', label: 'the TLS mode (to a weaker one)' };
    if (next.sslMode === 'verify-full' && (next.ca ?? '') !== (saved.ca ?? '')) return { field: 'settings.ca', label: 'the trusted certificate' };
    return undefined;
  }
  if (saved.kind === 'mongo' && next.kind === 'mongo') {
    // The whole URI: hosts, but also authSource/authMechanism/tls options decide where and how the password goes.
    const before = mongoTarget(saved.uri);
    const after = mongoTarget(next.uri);
    if (before.uri !== after.uri) return { field: 'settings.uri', label: 'the URI' };
    if ((saved.user || before.user) !== (next.user || after.user)) return { field: 'settings.user', label: 'the user' };
    if (saved.tls && !next.tls) return { field: 'settings.tls', label: 'TLS (turned off)' };
    if (next.tls && (next.ca ?? '') !== (saved.ca ?? '')) return { field: 'settings.ca', label: 'the trusted certificate' };
    return undefined;
  }
  if (saved.kind === 'kafka' && next.kind === 'kafka') {
    const brokers = (list: string[]) => [...new Set(list.map((b) => b.toLowerCase()))].sort().join(',');
    if (brokers(saved.brokers) !== brokers(next.brokers)) return { field: 'settings.brokers', label: 'the bootstrap servers' };
    if ((saved.sasl?.username ?? '') !== (next.sasl?.username ?? '')) return { field: 'settings.sasl.username', label: 'the SASL user' };
    if (saved.sasl && next.sasl && SASL_STRENGTH[next.sasl.mechanism] < SASL_STRENGTH[saved.sasl.mechanism]) {
      return { field: 'settings.sasl.mechanism', label: 'the SASL mechanism (to one that sends the password in clear)' };
    }
    if (saved.tls && !next.tls) return { field: 'settings.tls', label: 'TLS (turned off)' };
    if (next.tls && ((next.ca ?? '') !== (saved.ca ?? '') || (saved.rejectUnauthorized && !next.rejectUnauthorized))) {
      return { field: next.rejectUnauthorized ? 'settings.ca' : 'settings.rejectUnauthorized', label: 'how the server certificate is checked' };
    }
    return undefined;
  }
  return undefined;
}

/** The sentence the form shows next to the password field. */
export function secretRequiredMessage(change: TargetChange): string {
  return `You changed ${change.label} (${change.field}): enter the password again. A saved password is only sent to the server and user it was saved for.`;
}

export function secretRequired(change: TargetChange): ChronoError {
  return new ChronoError('secret_required', secretRequiredMessage(change), { field: 'secret', changed: change.field });
}

/** A mongodb URI without its user info, and the user named there (the password never matters here). */
function mongoTarget(uri: string): { uri: string; user: string } {
  const parts = readMongoUri(uri);
  // A URI that cannot be split is refused when saved or tested; compared whole meanwhile.
  if ('problem' in parts) return { uri: uri.trim(), user: '' };
  return { uri: parts.uri, user: parts.user ?? '' };
}

function sameHost(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
