/**
 * Every answer an engine gives in the integration and e2e tests is checked
 * against the contract's schemas: a mismatch fails the call at once, and the
 * test at its end (`output-contract-setup.ts`), even when the mismatch was in
 * an item emitted where no one awaited it.
 */
import type { OutputMismatch } from '../src-main/engine/dispatch/dispatcher';

const seen: OutputMismatch[] = [];

export function describeMismatch({ operation, kind, problems }: OutputMismatch): string {
  return `${kind === 'result' ? 'The result' : 'An emitted item'} of ${operation} breaks its declared schema: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`;
}

/** For `createEngine({ onOutputMismatch })`: records the mismatch and fails the call. */
export function failOnOutputMismatch(mismatch: OutputMismatch): never {
  seen.push(mismatch);
  throw new Error(describeMismatch(mismatch));
}

/** The mismatches recorded since the last call, forgotten once taken. */
export function takeOutputMismatches(): OutputMismatch[] {
  return seen.splice(0);
}
