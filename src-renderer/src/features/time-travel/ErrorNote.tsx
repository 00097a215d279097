import { codeOf, messageOf } from '../../client/errors';
import { ChronoError } from '../../../../src-shared/errors';
import { Alert } from '../../ui/Alert';

/** An error, with the event and source location a failing projection definition reports. */
export function ErrorNote({ title, error }: { title: string; error: unknown }) {
  const details =
    error instanceof ChronoError && codeOf(error) === 'definition_error' ? (error.details as { event?: unknown; location?: unknown } | undefined) : undefined;
  const event = details?.event as { version?: number; type?: string } | undefined;
  return (
    <Alert tone="danger" title={title} testId="tt-error">
      <div>{messageOf(error)}</div>
      {details && (
        <div className="tt__muted">
          {event?.version !== undefined && (
            <>
              At event v{event.version}
              {event.type ? ` (${event.type})` : ''}.{' '}
            </>
          )}
          {details.location !== undefined && (
            <span className="mono">{typeof details.location === 'string' ? details.location : JSON.stringify(details.location)}</span>
          )}
        </div>
      )}
    </Alert>
  );
}
