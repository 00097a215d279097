import { z } from 'zod';
import { changeFields } from './common';

/**
 * Operators registered in this Chronoscope: each has an Ed25519 key pair whose
 * private half is sealed with a key derived from the operator's passphrase. A
 * two-person approval is a signature only that operator's passphrase can make.
 */

export const operatorId = z
  .string()
  .trim()
  .regex(/^op-[a-z0-9-]{1,60}$/, 'an operator id looks like "op-…"');
/** Never logged nor audited: the dispatcher masks fields named `passphrase`. */
export const passphrase = z.string().min(10, 'a passphrase has at least 10 characters').max(1024);
/** An operator proving who they are: their id and passphrase. */
export const operatorCredentials = z.strictObject({ operatorId, passphrase });
export type OperatorCredentials = z.infer<typeof operatorCredentials>;

export const operatorView = z.object({
  id: operatorId,
  name: z.string(),
  /** SHA-256 of the public key (DER, SubjectPublicKeyInfo), hex: what a colleague compares to recognise the key. */
  fingerprint: z.string(),
  publicKey: z.string(),
  enrolledAt: z.string(),
  /** The operator who vouched for this one (none for the first). */
  sponsoredBy: operatorId.optional(),
});
export type OperatorView = z.infer<typeof operatorView>;

export const operatorsEnrollInput = z.strictObject({
  name: z.string().trim().min(1, 'name the operator').max(120),
  passphrase,
  /** Required once any operator exists. */
  sponsor: operatorCredentials.optional(),
  reason: changeFields.reason,
});
export const operatorsListResult = z.object({ operators: z.array(operatorView) });
