import { createHash, randomBytes } from 'node:crypto';
import { canonicalJson } from '../util/canonical-json';

const TOKEN_LIFETIME_MS = 10 * 60 * 1000;
/** Fields that do not change what a destructive operation does. */
const IGNORED_FIELDS = new Set(['dryRun', 'confirmation', 'reason']);

export type RedeemVerdict = 'missing' | 'expired' | 'mismatch' | 'used';

/** What the user confirmed: the plan the token is bound to, and the dry run's whole answer they saw. */
export interface Confirmed {
  plan: unknown;
  shown: unknown;
}

export type Redeemed = ({ verdict: 'ok' } & Confirmed) | { verdict: RedeemVerdict };

interface Issued extends Confirmed {
  operation: string;
  inputDigest: string;
  expires: number;
}

/**
 * A dry run of a destructive operation returns a token bound to that exact
 * operation, input and plan (what the dry run showed would change). The real
 * run redeems it once: a token cannot be replayed, cannot authorise other input,
 * and carries the plan the user confirmed so the real run can be held to it.
 * Tokens live in memory only: a restart of Chronoscope asks for a new preview.
 */
export class ConfirmationTokens {
  private readonly issued = new Map<string, Issued>();
  /** Redeemed tokens until they would have expired, to tell "already used" from "unknown". */
  private readonly used = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(operation: string, input: Record<string, unknown>, confirmed: Confirmed): string {
    this.forgetExpired();
    const token = randomBytes(24).toString('base64url');
    this.issued.set(token, {
      operation,
      inputDigest: inputDigest(operation, input),
      plan: structuredClone(confirmed.plan),
      shown: structuredClone(confirmed.shown),
      expires: this.now() + TOKEN_LIFETIME_MS,
    });
    return token;
  }

  /** Uses the token up (whatever the verdict for a known token) and gives back the confirmed plan. */
  redeem(operation: string, input: Record<string, unknown>, token: string | undefined): Redeemed {
    if (!token) return { verdict: 'missing' };
    if (this.used.has(token)) return { verdict: 'used' };
    const issued = this.issued.get(token);
    if (!issued) return { verdict: 'mismatch' };
    if (issued.operation !== operation || issued.inputDigest !== inputDigest(operation, input)) return { verdict: 'mismatch' };
    this.issued.delete(token);
    this.used.set(token, issued.expires);
    if (issued.expires < this.now()) return { verdict: 'expired' };
    return { verdict: 'ok', plan: issued.plan, shown: issued.shown };
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [token, issued] of this.issued) if (issued.expires < now) this.issued.delete(token);
    for (const [token, expires] of this.used) if (expires < now) this.used.delete(token);
  }
}

function inputDigest(operation: string, input: Record<string, unknown>): string {
  const relevant = Object.fromEntries(Object.entries(input).filter(([key]) => !IGNORED_FIELDS.has(key)));
  return createHash('sha256')
    .update(`${operation}\n${canonicalJson(relevant)}`)
    .digest('hex');
}

export function planDigest(plan: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(plan ?? null))
    .digest('hex');
}

/** The first differences between two plans, as `path: before → after` lines a user can read. */
export function describePlanChanges(before: unknown, after: unknown, limit = 6): string[] {
  const changes: string[] = [];
  const show = (value: unknown) => (value === undefined ? 'nothing' : typeof value === 'string' ? value : JSON.stringify(value));
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (changes.length >= limit) return;
    if (canonicalJson(a ?? null) === canonicalJson(b ?? null)) return;
    if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) changes.push(`${path || 'plan'}: ${a.length} item${a.length === 1 ? '' : 's'} → ${b.length}`);
      for (let i = 0; i < Math.min(a.length, b.length); i++) walk(a[i], b[i], `${path}[${i}]`);
      return;
    }
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
      for (const key of keys) walk((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
      return;
    }
    changes.push(`${path || 'plan'}: ${show(a)} → ${show(b)}`);
  };
  walk(before, after, '');
  return changes;
}
