import { useCallback } from 'react';
import { JsonTree, type JsonPath, type LineMark } from '../../ui/JsonTree';
import type { DiffPath } from './export-json';

export type ChangeKind = 'added' | 'removed' | 'changed';

interface StateTreeProps {
  value: unknown;
  /** Paths the selected event changed, keyed by `pathKey`. */
  changes: ReadonlyMap<string, ChangeKind>;
  testId?: string;
}

export const pathKey = (path: DiffPath) => JSON.stringify(path);

/** The replayed state as a JSON tree, the paths the selected event changed marked. */
export function StateTree({ value, changes, testId }: StateTreeProps) {
  const markOf = useCallback((path: JsonPath): LineMark | undefined => {
    const kind = changes.get(pathKey(path as DiffPath));
    return kind && { kind, className: `tt-tree__line--${kind}`, label: <span className={`tt-tree__mark tt-tree__mark--${kind}`}>{kind}</span> };
  }, [changes]);
  return <JsonTree value={value} initialDepth={3} toolbar={false} markOf={markOf} className="tt-tree" testId={testId} />;
}
