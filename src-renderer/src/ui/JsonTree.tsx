import { useState, type ReactNode } from 'react';
import { ChevronIcon } from './icons';
import './json-tree.css';

/** Where a node sits: keys and indexes from the root. */
export type JsonPath = readonly (string | number)[];

/** A highlight on one node's line, e.g. "changed by the selected event". */
export interface LineMark {
  /** Kept as `data-mark` on the line. */
  kind: string;
  className: string;
  label: ReactNode;
}

interface JsonTreeProps {
  value: unknown;
  /** Nodes deeper than this start collapsed. */
  initialDepth?: number;
  /** The expand/collapse all and copy toolbar; off where the tree sits inside a panel with its own actions. */
  toolbar?: boolean;
  markOf?: (path: JsonPath) => LineMark | undefined;
  className?: string;
  testId?: string;
}

/**
 * A JSON value as an expandable tree. Every object and array can be opened and
 * closed, and every node's value can be copied as JSON.
 */
export function JsonTree({ value, initialDepth = 2, toolbar = true, markOf, className, testId }: JsonTreeProps) {
  // Bumping the generation remounts the nodes with a new default, for "expand all"/"collapse all".
  const [mode, setMode] = useState<{ depth: number; generation: number }>({ depth: initialDepth, generation: 0 });
  const container = isContainer(value);
  return (
    <div className={className ? `json-tree ${className}` : 'json-tree'} data-testid={testId}>
      {toolbar && (
        <div className="json-tree__toolbar">
          {container && (
            <>
              <button type="button" className="json-tree__action" onClick={() => setMode((m) => ({ depth: Infinity, generation: m.generation + 1 }))}>
                Expand all
              </button>
              <button type="button" className="json-tree__action" onClick={() => setMode((m) => ({ depth: 0, generation: m.generation + 1 }))}>
                Collapse all
              </button>
            </>
          )}
          <CopyButton value={value} label="Copy JSON" />
        </div>
      )}
      <div className="json-tree__body" role="tree">
        <JsonNode key={mode.generation} name={undefined} value={value} path={[]} depth={0} openDepth={mode.depth} markOf={markOf} />
      </div>
    </div>
  );
}

interface NodeProps {
  name: string | number | undefined;
  value: unknown;
  path: JsonPath;
  depth: number;
  openDepth: number;
  markOf: ((path: JsonPath) => LineMark | undefined) | undefined;
  last?: boolean;
}

function JsonNode({ name, value, path, depth, openDepth, markOf, last = true }: NodeProps) {
  const [open, setOpen] = useState(depth < openDepth);
  const mark = markOf?.(path);
  const lineClass = mark ? `json-tree__line ${mark.className}` : 'json-tree__line';
  const lineAttrs = { 'data-path': path.join('.'), 'data-mark': mark?.kind };
  const markLabel = mark?.label ?? null;
  const label =
    name === undefined ? null : (
      <span className={typeof name === 'number' ? 'json-tree__index' : 'json-tree__key'}>{typeof name === 'number' ? name : JSON.stringify(name)}: </span>
    );
  const comma = last ? null : <span className="json-tree__punct">,</span>;

  if (!isContainer(value)) {
    return (
      <div className={lineClass} role="treeitem" style={{ paddingLeft: treeIndent(depth) }} {...lineAttrs}>
        {label}
        <JsonScalar value={value} />
        {comma}
        {markLabel}
        <CopyButton value={value} label="Copy" inline />
      </div>
    );
  }

  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  const [openMark, closeMark] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  const summary = Array.isArray(value) ? `${entries.length} item${entries.length === 1 ? '' : 's'}` : `${entries.length} key${entries.length === 1 ? '' : 's'}`;

  return (
    <div role="treeitem" aria-expanded={entries.length ? open : undefined} data-testid="json-node">
      <div className={lineClass} style={{ paddingLeft: treeIndent(depth) - 16 }} {...lineAttrs}>
        <button
          type="button"
          className="json-tree__toggle"
          aria-label={open ? 'Collapse' : 'Expand'}
          onClick={() => setOpen((o) => !o)}
          disabled={entries.length === 0}
          data-testid="json-toggle"
        >
          {entries.length > 0 && <ChevronIcon open={open} />}
        </button>
        {label}
        <span className="json-tree__punct">{openMark}</span>
        {(!open || entries.length === 0) && (
          <>
            {entries.length > 0 && (
              <button type="button" className="json-tree__summary" onClick={() => setOpen(true)}>
                {summary}
              </button>
            )}
            <span className="json-tree__punct">{closeMark}</span>
            {comma}
          </>
        )}
        {markLabel}
        <CopyButton value={value} label="Copy" inline />
      </div>
      {open && entries.length > 0 && (
        <>
          <div role="group">
            {entries.map(([key, child], index) => (
              <JsonNode
                key={key}
                name={key}
                value={child}
                path={[...path, key]}
                depth={depth + 1}
                openDepth={openDepth}
                markOf={markOf}
                last={index === entries.length - 1}
              />
            ))}
          </div>
          <div className="json-tree__line" style={{ paddingLeft: treeIndent(depth) }}>
            <span className="json-tree__punct">{closeMark}</span>
            {comma}
          </div>
        </>
      )}
    </div>
  );
}

/** A JSON scalar, coloured by type. */
export function JsonScalar({ value }: { value: unknown }): ReactNode {
  if (value === null || value === undefined) return <span className="json-tree__null">null</span>;
  switch (typeof value) {
    case 'string':
      return <span className="json-tree__string">{JSON.stringify(value)}</span>;
    case 'number':
    case 'bigint':
      return <span className="json-tree__number">{String(value)}</span>;
    case 'boolean':
      return <span className="json-tree__boolean">{String(value)}</span>;
    default:
      return <span>{String(value)}</span>;
  }
}

function CopyButton({ value, label, inline = false }: { value: unknown; label: string; inline?: boolean }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = () => {
    const text = JSON.stringify(value ?? null, null, 2);
    navigator.clipboard
      .writeText(text)
      .then(() => setState('copied'))
      .catch(() => setState('failed'))
      .finally(() => setTimeout(() => setState('idle'), 1500));
  };
  return (
    <button
      type="button"
      className={inline ? 'json-tree__copy json-tree__copy--inline' : 'json-tree__action'}
      title="Copy this value as JSON"
      onClick={copy}
      data-testid={inline ? undefined : 'json-copy'}
    >
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : label}
    </button>
  );
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === 'object' && value !== null;
}

/** Left padding of a tree line at `depth` (px). */
export function treeIndent(depth: number): number {
  return 18 + depth * 16;
}
