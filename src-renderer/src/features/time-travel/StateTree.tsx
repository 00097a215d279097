import { useState } from 'react';
import { ChevronIcon } from '../../ui/icons';
import { JsonScalar, treeIndent } from '../../ui/JsonTree';
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
  return (
    <div className="tt-tree" role="tree" data-testid={testId}>
      <Node name={undefined} value={value} path={[]} changes={changes} depth={0} last />
    </div>
  );
}

interface NodeProps {
  name: string | number | undefined;
  value: unknown;
  path: DiffPath;
  changes: ReadonlyMap<string, ChangeKind>;
  depth: number;
  last: boolean;
}

function Node({ name, value, path, changes, depth, last }: NodeProps) {
  const [open, setOpen] = useState(depth < 3);
  const kind = changes.get(pathKey(path));
  const lineClass = `tt-tree__line${kind ? ` tt-tree__line--${kind}` : ''}`;
  const label =
    name === undefined ? null : <span className={typeof name === 'number' ? 'json-tree__index' : 'json-tree__key'}>{typeof name === 'number' ? name : JSON.stringify(name)}: </span>;
  const comma = last ? null : <span className="json-tree__punct">,</span>;
  const mark = kind ? <span className={`tt-tree__mark tt-tree__mark--${kind}`}>{kind}</span> : null;
  const pathAttr = path.join('.');

  if (typeof value !== 'object' || value === null) {
    return (
      <div className={lineClass} role="treeitem" style={{ paddingLeft: treeIndent(depth) }} data-path={pathAttr} data-changed={kind}>
        {label}
        <JsonScalar value={value} />
        {comma}
        {mark}
      </div>
    );
  }
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  const [openMark, closeMark] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return (
    <div role="treeitem" aria-expanded={entries.length ? open : undefined}>
      <div className={lineClass} style={{ paddingLeft: treeIndent(depth) - 16 }} data-path={pathAttr} data-changed={kind}>
        <button type="button" className="json-tree__toggle" aria-label={open ? 'Collapse' : 'Expand'} onClick={() => setOpen((o) => !o)} disabled={entries.length === 0}>
          {entries.length > 0 && <ChevronIcon open={open} />}
        </button>
        {label}
        <span className="json-tree__punct">{openMark}</span>
        {(!open || entries.length === 0) && (
          <>
            {entries.length > 0 && (
              <button type="button" className="json-tree__summary" onClick={() => setOpen(true)}>
                {entries.length} {Array.isArray(value) ? 'items' : 'keys'}
              </button>
            )}
            <span className="json-tree__punct">{closeMark}</span>
            {comma}
          </>
        )}
        {mark}
      </div>
      {open && entries.length > 0 && (
        <>
          <div role="group">
            {entries.map(([key, child], index) => (
              <Node key={key} name={key} value={child} path={[...path, key]} changes={changes} depth={depth + 1} last={index === entries.length - 1} />
            ))}
          </div>
          <div className="tt-tree__line" style={{ paddingLeft: treeIndent(depth) }}>
            <span className="json-tree__punct">{closeMark}</span>
            {comma}
          </div>
        </>
      )}
    </div>
  );
}

