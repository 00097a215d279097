import type { z } from 'zod';

/**
 * What an operation changes, which decides how the dispatcher guards it:
 * - `none`: reads only;
 * - `local`: Chronoscope's own state (profiles, settings): audited;
 * - `target`: a connected system: audited, and refused on a read-only profile.
 */
export type Effect = 'none' | 'local' | 'target';

export interface OperationSpec<I extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType, D extends z.ZodType = z.ZodType, V extends string = string> {
  summary: string;
  input: I;
  result: R;
  effect: Effect;
  /** Streaming operations emit `data` events until they end or are cancelled. */
  stream?: D;
  /** Destructive operations need a dry run first; its confirmation token authorises the real run. */
  destructive?: boolean;
  /** What the audit log names as the target, from the validated input (and the result, once there is one). */
  target?: (input: z.output<I>, result?: z.output<R>) => string;
  /**
   * The connection profiles the operation acts on, for read-only enforcement.
   * Only needed when the input does not name them as `connectionId` / `connectionIds`.
   */
  connectionsOf?: (input: z.output<I>) => string[];
  /**
   * Results made stale when the operation succeeds (for a stream, each time it
   * emits), which the renderer refetches. Audited operations (effect other than
   * `none`) also make `audit.list` and `audit.verify` stale, failed or not:
   * see `staleAfter`. Each entry must name an operation (checked below the table).
   */
  invalidates?: readonly V[];
  /** The input as the audit log records it, when some of it must not be kept there (a data subject's e-mail). */
  auditInput?: (input: z.output<I>) => unknown;
  /**
   * Destructive operations: what a dry run's answer promises will change (per-partition
   * offsets, the snapshots selected, a checkpoint's from and to), without figures that
   * move on their own (durations, notes). The confirmation is bound to it: the real run
   * recomputes it and runs nothing if it differs from what the user confirmed.
   */
  plan?: (result: z.output<R>) => unknown;
  /**
   * The operation can return, or match on, personal data decrypted from sealed
   * fields. Such an operation opens sealed fields only where the connection
   * profile may decrypt personal data (browse and time travel through
   * `DecryptedViews.session`, compliance through `ComplianceDeps.mayDecrypt`), and
   * must name its connection so that profile is known. test/unit/personal-data-contract
   * fails when an operation returning free-form stored data is neither flagged nor
   * reviewed as never decrypting.
   */
  personalData?: true;
}

export function op<I extends z.ZodType, R extends z.ZodType, D extends z.ZodType = z.ZodNever, const V extends string = never>(
  spec: OperationSpec<I, R, D, V>,
): OperationSpec<I, R, D, V> {
  return spec;
}
