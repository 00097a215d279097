import type { ReactNode } from 'react';
import type { PersonalDataMarks } from '../../../src-shared/schemas/browse';
import { Badge } from './Badge';
import type { JsonPath, LineMark } from './JsonTree';

type FieldState = PersonalDataMarks['fields'][number]['state'];

/** What a sealed personal field became in this view: opened in the main process, shredded, or left encrypted. */
export function PersonalDataBadge({ state, title }: { state: FieldState; title?: string | undefined }): ReactNode {
  const text = { decrypted: 'decrypted', shredded: 'shredded', encrypted: 'encrypted' }[state];
  const tone = state === 'decrypted' ? 'warning' : state === 'shredded' ? 'neutral' : 'info';
  const why =
    title ??
    (state === 'decrypted'
      ? 'Personal data sealed for this subject, shown decrypted because this profile may decrypt; the view is recorded in the audit log.'
      : state === 'shredded'
        ? "The subject's key was deleted (crypto-shredding): this value can no longer be read by anyone."
        : 'Encrypted personal data.');
  return (
    <span className="personal-data-badge" data-testid={`personal-data-${state}`}>
      <Badge tone={tone} title={why}>
        {text}
      </Badge>
    </span>
  );
}

/**
 * Badges for a payload tree: `root` is "data" or "metadata", the first segment of
 * the paths the main process marked.
 */
export function personalDataMarkOf(marks: PersonalDataMarks | undefined, root: 'data' | 'metadata'): ((path: JsonPath) => LineMark | undefined) | undefined {
  if (!marks) return undefined;
  const byPath = new Map(marks.fields.filter((f) => f.path[0] === root).map((f) => [JSON.stringify(f.path.slice(1)), f.state] as const));
  if (byPath.size === 0) return undefined;
  return (path) => {
    const state = byPath.get(JSON.stringify(path));
    return state
      ? { kind: `personal-${state}`, className: '', label: <PersonalDataBadge state={state} title={state === 'encrypted' ? marks.note : undefined} /> }
      : undefined;
  };
}

/** The hint above a payload whose personal fields stay encrypted. */
export function PersonalDataHint({ marks }: { marks: PersonalDataMarks | undefined }): ReactNode {
  if (!marks?.note || !marks.fields.some((f) => f.state === 'encrypted')) return null;
  return (
    <p className="personal-data-hint muted" data-testid="personal-data-hint">
      {marks.note}
    </p>
  );
}
