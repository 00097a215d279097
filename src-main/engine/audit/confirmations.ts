import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from '../util/canonical-json';

const TOKEN_LIFETIME_MS = 10 * 60 * 1000;
/** Fields that do not change what a destructive operation does. */
const IGNORED_FIELDS = new Set(['dryRun', 'confirmation', 'reason']);

/**
 * A dry run of a destructive operation returns a token bound to that exact
 * operation and input; the real run must present it. So nobody executes what
 * they have not previewed, and a token cannot be reused for other input.
 */
export class ConfirmationTokens {
  private readonly key = randomBytes(32);

  constructor(private readonly now: () => number = Date.now) {}

  issue(operation: string, input: Record<string, unknown>): string {
    const expires = this.now() + TOKEN_LIFETIME_MS;
    return `${expires}.${this.sign(operation, input, expires)}`;
  }

  check(operation: string, input: Record<string, unknown>, token: string | undefined): 'ok' | 'missing' | 'expired' | 'mismatch' {
    if (!token) return 'missing';
    const [expiresText, signature] = token.split('.');
    const expires = Number(expiresText);
    if (!signature || !Number.isFinite(expires)) return 'mismatch';
    const expected = Buffer.from(this.sign(operation, input, expires), 'hex');
    const given = Buffer.from(signature, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'mismatch';
    return expires < this.now() ? 'expired' : 'ok';
  }

  private sign(operation: string, input: Record<string, unknown>, expires: number): string {
    const relevant = Object.fromEntries(Object.entries(input).filter(([key]) => !IGNORED_FIELDS.has(key)));
    return createHmac('sha256', this.key).update(`${operation}\n${expires}\n${canonicalJson(relevant)}`).digest('hex');
  }
}
