import type { ReactNode } from 'react';

export type Tone = 'neutral' | 'info' | 'success' | 'warning' | 'danger';

export function Badge({ tone = 'neutral', title, children, testId }: { tone?: Tone; title?: string; children: ReactNode; testId?: string }) {
  return (
    <span className={tone === 'neutral' ? 'badge' : `badge badge--${tone}`} title={title} data-testid={testId}>
      {children}
    </span>
  );
}
