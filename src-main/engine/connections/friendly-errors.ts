import { ChronoError, type ErrorCode } from '../../../src-shared/errors';

/**
 * Turns driver errors (pg, mongodb, kafkajs, node:net/tls) into one message a
 * person can act on. Checks the error and its causes, innermost reasons first.
 */
export function explainConnectionError(err: unknown, where: string): ChronoError {
  if (err instanceof ChronoError) return err;
  const chain = causeChain(err);
  const text = chain.map((e) => `${e.name ?? ''} ${e.message ?? ''} ${e.code ?? ''}`).join(' | ');
  const codes = new Set(chain.map((e) => String(e.code ?? '')));
  const fail = (code: ErrorCode, message: string) => new ChronoError(code, message, { cause: firstMessage(chain) });

  if (codes.has('28P01') || /password authentication failed|Authentication failed|SASL Authentication failed|AuthenticationFailed|SCRAM|invalid credentials/i.test(text)) {
    return fail('auth_failed', `${where} rejected the user name or password.`);
  }
  if (codes.has('28000')) return fail('auth_failed', `${where} refused this user (no such role, or not allowed by pg_hba.conf).`);
  if (codes.has('3D000')) return fail('not_found', `${where}: ${firstMessage(chain)}.`);
  if (/does not support SSL|SSL off|server does not support/i.test(text)) {
    return fail('tls_error', `${where} does not accept TLS connections; set TLS/SSL mode to "disable" or enable TLS on the server.`);
  }
  if (/wrong version number|EPROTO|secure TLS connection|certificate|self[- ]signed|unable to verify|ERR_SSL|TLS|SSL/i.test(text)) {
    return fail('tls_error', `TLS handshake with ${where} failed (${firstMessage(chain)}); check the TLS setting and CA certificate.`);
  }
  if (codes.has('ENOTFOUND') || codes.has('EAI_AGAIN') || /getaddrinfo|ENOTFOUND/.test(text)) {
    return fail('host_not_found', `The host of ${where} could not be resolved; check the host name.`);
  }
  if (codes.has('ECONNREFUSED') || /ECONNREFUSED|Connection refused/i.test(text)) {
    return fail('connection_refused', `Nothing is listening at ${where}; check host and port, and that the server is running.`);
  }
  if (codes.has('ETIMEDOUT') || /timeout|timed out|Server selection timed out/i.test(text)) {
    return fail('timeout', `${where} did not answer in time; check host, port, firewall and TLS settings.`);
  }
  if (codes.has('ECONNRESET') || /socket hang up|ECONNRESET|closed/i.test(text)) {
    return fail('unavailable', `${where} closed the connection (${firstMessage(chain)}); a TLS or protocol mismatch is likely.`);
  }
  return fail('unavailable', `${where}: ${firstMessage(chain)}`);
}

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string | number;
}

function causeChain(err: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let current: unknown = err;
  for (let depth = 0; current && depth < 6; depth += 1) {
    if (typeof current !== 'object') {
      chain.push({ message: String(current) });
      break;
    }
    const e = current as ErrorLike & { cause?: unknown; originalError?: unknown; reason?: unknown; errors?: unknown[] };
    chain.push(e);
    // Mongo's ServerSelectionError keeps the real reason in `reason`; Node's AggregateError in `errors`.
    if (Array.isArray(e.errors) && e.errors[0]) chain.push(...causeChain(e.errors[0]));
    current = e.cause ?? e.originalError ?? mongoReason(e.reason);
  }
  return chain;
}

function mongoReason(reason: unknown): unknown {
  if (!reason || typeof reason !== 'object') return undefined;
  const servers = (reason as { servers?: Map<string, { error?: unknown }> }).servers;
  if (servers instanceof Map) for (const server of servers.values()) if (server.error) return server.error;
  return undefined;
}

function firstMessage(chain: ErrorLike[]): string {
  const found = [...chain].reverse().find((e) => e.message) ?? chain[0];
  return (found?.message ?? 'unknown error').replace(/\s+/g, ' ').trim().slice(0, 300);
}
