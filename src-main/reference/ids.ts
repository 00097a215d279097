import { createHash, randomUUID } from 'node:crypto';

/** A random RFC 4122 v4 UUID. */
export function newId(): string {
  return randomUUID();
}

/** Formats 16 bytes as a UUID, stamping the given version and the RFC 4122 variant. */
export function bytesToUuid(bytes: Uint8Array, version: number): string {
  const b = Buffer.from(bytes.subarray(0, 16));
  b[6] = ((b[6] ?? 0) & 0x0f) | (version << 4);
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A name-based UUID (v5 layout over SHA-256): the same parts always give the same id.
 * Command handlers derive event ids from the command id this way, so a retried
 * command produces the very same event ids and the store recognises it.
 */
export function deterministicId(...parts: (string | number)[]): string {
  const hash = createHash('sha256').update(parts.join('\u0000')).digest();
  return bytesToUuid(hash, 5);
}
