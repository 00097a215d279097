import type { Document } from 'mongodb';

/** The value at a dotted path of a document (`metadata.correlationId`); undefined where any step is missing or not an object. */
export function get(doc: Document, path: string | undefined): unknown {
  if (!path) return undefined;
  let current: unknown = doc;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
