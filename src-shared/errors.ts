import { redactSecretsDeep, redactSecretsInText } from './redact-secrets';

/**
 * Errors cross the process boundary as plain `{code, message, details}` values
 * and are rebuilt as `ChronoError` on the other side; nothing throws raw across it.
 */
export const ERROR_CODES = [
  'invalid_input',
  'unknown_operation',
  'not_found',
  'read_only',
  'confirmation_required',
  /** What a destructive operation would do changed since the dry run the user confirmed: nothing ran. */
  'plan_changed',
  'conflict',
  'unauthorized',
  'forbidden',
  'connection_refused',
  'host_not_found',
  'auth_failed',
  /** A saved secret would go to a changed target: the user must type it again. */
  'secret_required',
  'tls_error',
  'timeout',
  'unavailable',
  /** The store's layout has no such thing (a global feed, a timeline): no retry changes that. */
  'unsupported',
  'cancelled',
  'definition_error',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export class ChronoError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'ChronoError';
    this.code = code;
    this.details = details;
  }

  toPayload(): ErrorPayload {
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }

  static fromPayload(payload: ErrorPayload): ChronoError {
    const code = (ERROR_CODES as readonly string[]).includes(payload.code) ? payload.code : 'internal';
    return new ChronoError(code, payload.message, payload.details);
  }
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR');
}

/** Turns anything thrown by a handler into a payload that is safe to send. */
export function toErrorPayload(err: unknown): ErrorPayload {
  // A driver message may repeat a connection string: its password never leaves the main process.
  if (err instanceof ChronoError) return redactSecretsDeep(err.toPayload());
  if (isAbortError(err)) return { code: 'cancelled', message: 'The operation was cancelled.' };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message: redactSecretsInText(message) || 'Unexpected error.' };
}
