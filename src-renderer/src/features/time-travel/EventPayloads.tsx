import type { ResultOf } from '../../../../src-shared/operations';
import { JsonTree } from '../../ui/JsonTree';
import { PersonalDataHint, personalDataMarkOf } from '../../ui/PersonalData';

type Step = ResultOf<'timeTravel.steps'>['steps'][number];

/**
 * The selected event's payload as stored, and beside it the payload the handler
 * actually received when one of the definition's upcasters rewrote it (an older
 * schema version, say).
 */
export function EventPayloads({ step }: { step: Step }) {
  const { event, upcast } = step;
  const version = (metadata: unknown) =>
    metadata !== null && typeof metadata === 'object' && 'schemaVersion' in metadata
      ? String((metadata as { schemaVersion: unknown }).schemaVersion)
      : undefined;
  return (
    <div className={upcast ? 'tt-payloads tt-payloads--two' : 'tt-payloads'} data-testid="tt-payloads">
      <section className="tt-payloads__side">
        <h3 className="tt-payloads__title">
          Stored payload{version(event.metadata) ? <span className="tt__muted"> · schema v{version(event.metadata)}</span> : null}
        </h3>
        <PersonalDataHint marks={event.personalData} />
        <JsonTree value={event.data} initialDepth={2} markOf={personalDataMarkOf(event.personalData, 'data')} testId="tt-payload-raw" />
      </section>
      {upcast ? (
        <section className="tt-payloads__side">
          <h3 className="tt-payloads__title">
            As upcast for the handler{version(upcast.metadata) ? <span className="tt__muted"> · schema v{version(upcast.metadata)}</span> : null}
            {upcast.type !== event.type ? <span className="tt__muted"> · type {upcast.type}</span> : null}
          </h3>
          <JsonTree value={upcast.data} initialDepth={2} testId="tt-payload-upcast" />
        </section>
      ) : (
        <p className="tt__muted tt-payloads__note" data-testid="tt-payload-no-upcast">
          No upcaster of this definition applies: the handler received the payload as stored.
        </p>
      )}
    </div>
  );
}
