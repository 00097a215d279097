import type { ReactNode } from 'react';

export function KeyValueList({ items, testId }: { items: [label: string, value: ReactNode][]; testId?: string }) {
  return (
    <dl className="kv" data-testid={testId}>
      {items.map(([label, value]) => (
        <div key={label} className="kv__row">
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
