import { CompanionLayoutError } from '../ports/errors';

/**
 * The one rule for names a user maps onto MongoDB documents (event, checkpoint and
 * snapshot mappings alike). Dotted paths name nested fields and are allowed; a segment
 * starting with `$` would be read as an operator once it is a key of a filter
 * (`{$where: ...}`), NUL cannot be stored, an empty segment names nothing.
 */
export function fieldPathProblem(path: string): string | null {
  if (path.includes('\u0000')) return 'a MongoDB field name cannot hold a NUL character';
  const segments = path.split('.');
  if (segments.some((s) => s.length === 0)) return 'a field path cannot have an empty segment (a leading, trailing or doubled ".")';
  if (segments.some((s) => s.startsWith('$')))
    return 'a MongoDB field name cannot start with "$" (MongoDB reads it as an operator); map a field the documents store';
  return null;
}

export function collectionNameProblem(name: string): string | null {
  if (name.includes('\u0000')) return 'a MongoDB collection name cannot hold a NUL character';
  if (name.includes('$')) return 'a MongoDB collection name cannot contain "$"';
  if (name.startsWith('system.')) return 'system collections hold no events';
  return null;
}

/**
 * Refuses a companion layout (checkpoints, snapshots) of one collection whose names
 * break the rule above, naming each: `fields.position "$function": ...`.
 */
export function refuseBadDocumentNames(layout: { collection: string; fields: Record<string, string | undefined> }): void {
  const problems: string[] = [];
  const collection = collectionNameProblem(layout.collection);
  if (collection) problems.push(`collection ${JSON.stringify(layout.collection)}: ${collection}`);
  for (const [role, path] of Object.entries(layout.fields)) {
    const problem = path === undefined ? null : fieldPathProblem(path);
    if (problem) problems.push(`fields.${role} ${JSON.stringify(path)}: ${problem}`);
  }
  if (problems.length > 0) throw new CompanionLayoutError(`${problems.join('; ')}.`, problems);
}
