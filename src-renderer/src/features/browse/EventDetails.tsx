import type { StoredEvent } from '../../../../src-shared/schemas/browse';
import { Alert } from '../../ui/Alert';
import { Time } from '../../ui/Time';
import { JsonTree } from '../../ui/JsonTree';
import { KeyValueList } from '../../ui/KeyValue';
import { PersonalDataHint, personalDataMarkOf } from '../../ui/PersonalData';
import { CorrelationSection } from './Correlation';
import { userOf } from './event-fields';

const none = <span className="muted">—</span>;

/** A payload too large to show in the browser: say how large, and how to read it. */
function OmittedPayload({ bytes }: { bytes: number }) {
  return (
    <Alert tone="info" title={`Not shown: ${(bytes / 1048576).toFixed(1)} MiB`} testId="event-payload-omitted">
      Payloads over 1 MiB are left out of lists so the window stays responsive. Export this stream to NDJSON to read it in full.
    </Alert>
  );
}

/** One event: its identifiers, payload and metadata as trees, then its correlation and causation. */
export function EventDetails({ event }: { event: StoredEvent }) {
  const user = userOf(event);
  return (
    <div className="event-details" data-testid="event-details" data-version={event.version}>
      <div className="event-details__title">
        <span className="event-type">{event.type}</span>
        <span className="muted">version {event.version}</span>
      </div>
      <KeyValueList
        testId="event-ids"
        items={[
          ['Event id', event.eventId ? <span className="mono">{event.eventId}</span> : none],
          ['Position', event.position ? <span className="mono">{event.position}</span> : none],
          ['Time', event.timestamp ? <Time iso={event.timestamp} /> : none],
          ['User', user ? <span className="mono">{user}</span> : none],
          [
            'Correlation id',
            event.correlationId ? (
              <span className="mono" data-testid="event-correlation">
                {event.correlationId}
              </span>
            ) : (
              none
            ),
          ],
          [
            'Causation id',
            event.causationId ? (
              <span className="mono" data-testid="event-causation">
                {event.causationId}
              </span>
            ) : (
              none
            ),
          ],
        ]}
      />
      <section className="event-details__section">
        <h3 className="event-details__heading">Payload</h3>
        <PersonalDataHint marks={event.personalData} />
        {event.omitted?.data !== undefined ? (
          <OmittedPayload bytes={event.omitted.data} />
        ) : (
          <JsonTree value={event.data} markOf={personalDataMarkOf(event.personalData, 'data')} testId="event-payload" />
        )}
      </section>
      <section className="event-details__section">
        <h3 className="event-details__heading">Metadata</h3>
        {event.omitted?.metadata !== undefined ? (
          <OmittedPayload bytes={event.omitted.metadata} />
        ) : (
          <JsonTree value={event.metadata} initialDepth={1} markOf={personalDataMarkOf(event.personalData, 'metadata')} testId="event-metadata" />
        )}
      </section>
      <CorrelationSection event={event} />
    </div>
  );
}
