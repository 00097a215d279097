import { useEffect, useRef, useState } from 'react';
import type { CallHandle } from '../../../../src-shared/client';
import { ChronoError } from '../../../../src-shared/errors';
import type { KafkaOutboxGapsResult } from '../../../../src-shared/schemas/kafka';
import { messageOf } from '../../client/errors';
import { useClient } from '../../client/host-context';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { TextField } from '../../ui/inputs';
import { formatCount } from './kafka-view';

type State = { kind: 'idle' } | { kind: 'running'; message: string } | { kind: 'done'; result: KafkaOutboxGapsResult } | { kind: 'failed'; message: string };

/** Events of a store position range missing from the topic or published twice, by event id; the check can be cancelled. */
export function OutboxGapsPanel({ storeConnectionId, kafkaConnectionId, topic }: { storeConnectionId: string; kafkaConnectionId: string; topic: string }) {
  const client = useClient();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [state, setState] = useState<State>({ kind: 'idle' });
  const handle = useRef<CallHandle<'kafka.outboxGaps'> | undefined>(undefined);
  useEffect(() => () => handle.current?.cancel(), []);

  const start = () => {
    setState({ kind: 'running', message: 'Starting…' });
    const call = client.start(
      'kafka.outboxGaps',
      {
        storeConnectionId,
        kafkaConnectionId,
        topic,
        ...(from.trim() ? { fromPosition: from.trim() } : {}),
        ...(to.trim() ? { toPosition: to.trim() } : {}),
        maxEvents: 200_000,
      },
      { onProgress: (p) => setState({ kind: 'running', message: p.message ?? `${p.done}` }) },
    );
    handle.current = call;
    void call.result.then((envelope) => {
      if (handle.current !== call) return;
      handle.current = undefined;
      if (envelope.ok) setState({ kind: 'done', result: envelope.data });
      else if (envelope.error.code === 'cancelled') setState({ kind: 'idle' });
      else setState({ kind: 'failed', message: messageOf(ChronoError.fromPayload(envelope.error)) });
    });
  };

  return (
    <div className="kafka-gaps" data-testid="kafka-outbox-gaps">
      <h4 className="kafka-charts__title">Outbox gaps</h4>
      <p className="muted">
        Compares a range of store positions with every message of {topic}, by event id: events never published, and events published more than once.
      </p>
      <div className="kafka-pipeline__controls">
        <TextField label="From position" value={from} onChange={setFrom} placeholder="first event" testId="kafka-gaps-from" />
        <TextField label="To position" value={to} onChange={setTo} placeholder="store head" testId="kafka-gaps-to" />
        {state.kind === 'running' ? (
          <>
            <span className="muted" data-testid="kafka-gaps-progress">
              <span className="btn__spinner" aria-hidden="true" /> {state.message}
            </span>
            <Button size="sm" variant="ghost-danger" onClick={() => handle.current?.cancel()} data-testid="kafka-gaps-cancel">
              Cancel
            </Button>
          </>
        ) : (
          <Button size="sm" variant="primary" onClick={start} data-testid="kafka-gaps-run">
            Check
          </Button>
        )}
      </div>
      {state.kind === 'failed' && (
        <Alert tone="danger" title="The check failed">
          {state.message}
        </Alert>
      )}
      {state.kind === 'done' && <GapsReport result={state.result} />}
    </div>
  );
}

function GapsReport({ result }: { result: KafkaOutboxGapsResult }) {
  return (
    <div data-testid="kafka-gaps-report">
      <p>
        {formatCount(result.eventsChecked)} events (positions {result.fromPosition ?? '—'}–{result.toPosition ?? '—'}) against{' '}
        {formatCount(result.messagesScanned)} messages:{' '}
        <strong data-testid="kafka-gaps-counts">
          {result.missingCount} missing, {result.duplicateCount} published twice
        </strong>
        {result.unidentified > 0 && `; ${result.unidentified} messages carry no event id`}
        {result.withoutId > 0 && `; ${result.withoutId} events have no id to match`}.
      </p>
      {(result.missing.length > 0 || result.duplicates.length > 0) && (
        <table className="kafka-table">
          <thead>
            <tr>
              <th>Problem</th>
              <th>Event id</th>
              <th className="num">Position</th>
              <th>Stream</th>
              <th className="num">Version</th>
              <th>Messages</th>
            </tr>
          </thead>
          <tbody>
            {result.missing.map((e) => (
              <tr key={`m${e.eventId}`} data-testid="kafka-gap-row" data-kind="missing">
                <td>missing</td>
                <td className="mono">{e.eventId}</td>
                <td className="num">{e.position}</td>
                <td className="mono">{e.streamId}</td>
                <td className="num">{e.version}</td>
                <td>—</td>
              </tr>
            ))}
            {result.duplicates.map((e) => (
              <tr key={`d${e.eventId}`} data-testid="kafka-gap-row" data-kind="duplicate">
                <td>published {e.copies.length}×</td>
                <td className="mono">{e.eventId}</td>
                <td className="num">{e.position}</td>
                <td className="mono">{e.streamId}</td>
                <td className="num">{e.version}</td>
                <td className="mono">{e.copies.map((c) => `[${c.partition}]@${c.offset}`).join(' ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
