import type { ReactNode } from 'react';
import type { Tone } from './Badge';

interface AlertProps {
  tone: Exclude<Tone, 'neutral'>;
  title: ReactNode;
  children?: ReactNode;
  testId?: string;
}

export function Alert({ tone, title, children, testId }: AlertProps) {
  return (
    <div className={`alert alert--${tone}`} role={tone === 'danger' ? 'alert' : 'status'} data-testid={testId}>
      <div className="alert__title">{title}</div>
      {children && <div className="alert__body">{children}</div>}
    </div>
  );
}
