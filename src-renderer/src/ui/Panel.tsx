import type { ReactNode } from 'react';

interface PanelProps {
  title: ReactNode;
  actions?: ReactNode;
  flush?: boolean;
  className?: string;
  testId?: string;
  children: ReactNode;
}

export function Panel({ title, actions, flush = false, className, testId, children }: PanelProps) {
  return (
    <section className={`panel ${className ?? ''}`} data-testid={testId}>
      <header className="panel__header">
        <h2 className="panel__title">{title}</h2>
        {actions && <div className="panel__actions">{actions}</div>}
      </header>
      <div className={flush ? 'panel__body panel__body--flush' : 'panel__body'}>{children}</div>
    </section>
  );
}
