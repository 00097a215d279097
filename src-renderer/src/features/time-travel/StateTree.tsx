import { useCallback } from 'react';
import { JsonTree, type JsonPath, type LineMark } from '../../ui/JsonTree';
import type { DiffPath } from './export-json';
import { moneyText, type MoneyFields } from './money';
import { PersonalDataBadge } from '../../ui/PersonalData';

/** What a sealed field reads once its subject's key was deleted (main process: compliance SHREDDED). */
const SHREDDED = '[shredded]';

export type ChangeKind = 'added' | 'removed' | 'changed';

interface StateTreeProps {
  value: unknown;
  /** Paths the selected event changed, keyed by `pathKey`. */
  changes: ReadonlyMap<string, ChangeKind>;
  /** Fields the definition declares as money: their amount is shown formatted beside the raw number. */
  money?: MoneyFields | undefined;
  testId?: string;
}

export const pathKey = (path: DiffPath) => JSON.stringify(path);

/** The replayed state as a JSON tree, the paths the selected event changed marked. */
export function StateTree({ value, changes, money, testId }: StateTreeProps) {
  const markOf = useCallback(
    (path: JsonPath): LineMark | undefined => {
      const kind = changes.get(pathKey(path as DiffPath));
      const field = money?.[path.join('.')];
      const formatted = field
        ? moneyText(
            path.reduce<unknown>((here, key) => (here !== null && typeof here === 'object' ? (here as Record<string, unknown>)[key] : undefined), value),
            field,
            value,
          )
        : undefined;
      const here = path.reduce<unknown>((at, key) => (at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), value);
      // Shredded fields fold as "[shredded]": badged so nobody takes it for the customer's own text.
      const shredded = here === SHREDDED ? <PersonalDataBadge state="shredded" /> : null;
      if (!kind && !formatted) return shredded ? { kind: 'personal-shredded', className: '', label: shredded } : undefined;
      const amount = formatted && (
        <span className="tt-money" data-testid="tt-money">
          {formatted}
        </span>
      );
      if (!kind)
        return {
          kind: 'money',
          className: '',
          label: (
            <>
              {amount}
              {shredded}
            </>
          ),
        };
      return {
        kind,
        className: `tt-tree__line--${kind}`,
        label: (
          <>
            {amount}
            {shredded}
            <span className={`tt-tree__mark tt-tree__mark--${kind}`}>{kind}</span>
          </>
        ),
      };
    },
    [changes, money, value],
  );
  return <JsonTree value={value} initialDepth={3} toolbar={false} markOf={markOf} className="tt-tree" testId={testId} />;
}
