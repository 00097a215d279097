import { useCallback, useEffect, useState } from 'react';
import type { InputOf } from '../../../../src-shared/operations';
import type { KafkaMessage } from '../../../../src-shared/schemas/kafka';
import { messageOf } from '../../client/errors';
import { useClient } from '../../client/host-context';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { JsonTree } from '../../ui/JsonTree';
import { Panel } from '../../ui/Panel';
import { Time, timeHeader } from '../../ui/Time';
import { TextField } from '../../ui/inputs';
import { useDraft } from '../../ui/use-draft';
import { useActiveConnection } from '../../app/active-connection';
import { navigate } from '../../app/routes';
import { streamHref } from '../browse/browse-routes';
import { effectiveStore, StoreLinkBar, useStoreLink } from './LinkedStore';

interface TopicBrowserProps {
  connectionId: string;
  topic: string;
  partition: number;
  /** An offset ("120"), a time (ISO), or absent for the last 50 messages. */
  from: string | undefined;
  /** The event store chosen on this view for "open event"; the linked one when absent. */
  storeConnectionId: string | undefined;
  onChange: (change: { partition?: number; from?: string; storeConnectionId?: string }) => void;
}

type EventRef = NonNullable<KafkaMessage['event']>;

const PAGE = 50;

function fromInput(from: string | undefined): InputOf<'kafka.messages'>['from'] {
  if (from === undefined) return { kind: 'latest', count: PAGE };
  if (/^\d+$/.test(from)) return { kind: 'offset', offset: from };
  return { kind: 'time', at: new Date(from).toISOString() };
}

/** One partition's messages from an offset or a time, decoded, with headers; follow streams new ones. */
export function TopicBrowser({ connectionId, topic, partition, from, storeConnectionId, onChange }: TopicBrowserProps) {
  const client = useClient();
  const { setActiveId } = useActiveConnection();
  const link = useStoreLink(connectionId, { topic });
  const store = effectiveStore(link.data, storeConnectionId);
  // An event asked to open before a store was known: opened once the link is read, or once the user chose a store.
  const [opening, setOpening] = useState<EventRef | undefined>(undefined);
  const openIn = useCallback(
    (storeId: string, event: EventRef) => {
      setActiveId(storeId);
      navigate(streamHref(event.streamId, event.version));
    },
    [setActiveId],
  );
  const storeId = store?.connectionId;
  useEffect(() => {
    if (opening && storeId) openIn(storeId, opening);
  }, [opening, storeId, openIn]);
  const [typed, setTyped] = useDraft(from ?? '');
  const [follow, setFollow] = useState(false);
  const [live, setLive] = useState<KafkaMessage[]>([]);
  const cluster = useOperation('kafka.cluster', { connectionId }, { retry: false });
  const partitions = cluster.data?.topics.find((t) => t.name === topic)?.partitions ?? 1;
  const validFrom = from === undefined || /^\d+$/.test(from) || !Number.isNaN(Date.parse(from));
  const input: InputOf<'kafka.messages'> = { connectionId, topic, partition, from: validFrom ? fromInput(from) : { kind: 'latest', count: PAGE }, limit: PAGE };
  const page = useOperation('kafka.messages', input, { enabled: !follow, retry: false });

  const inputKey = JSON.stringify(input);
  useEffect(() => {
    if (!follow) return;
    setLive([]);
    const followed = { ...(JSON.parse(inputKey) as InputOf<'kafka.messages'>), follow: true };
    const handle = client.start('kafka.messages', followed, { onData: (data) => setLive((shown) => [...shown, ...data.messages].slice(-500)) });
    return () => handle.cancel();
  }, [follow, client, inputKey]);

  const messages = follow ? live : (page.data?.messages ?? []);
  return (
    <Panel title={`Topic ${topic}`} testId="kafka-topic-browser">
      <div className="kafka-browser__controls">
        <label className="kafka-sampler__slo">
          Partition{' '}
          <select className="select" value={partition} onChange={(e) => onChange({ partition: Number(e.target.value) })} data-testid="kafka-browser-partition">
            {Array.from({ length: partitions }, (_, p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <TextField label="From offset or time" placeholder={`empty: the last ${PAGE}`} value={typed} onChange={setTyped} testId="kafka-browser-from" />
        <Button size="sm" onClick={() => onChange(typed.trim() ? { from: typed.trim() } : {})} data-testid="kafka-browser-read">
          Read
        </Button>
        <Button size="sm" variant={follow ? 'primary' : 'secondary'} onClick={() => setFollow(!follow)} data-testid="kafka-browser-follow">
          {follow ? 'Following…' : 'Follow live'}
        </Button>
      </div>
      <StoreLinkBar
        kafkaConnectionId={connectionId}
        link={link}
        chosenId={storeConnectionId}
        asking={
          opening && !store && link.data
            ? `Open ${opening.streamId}${opening.version !== undefined ? ` at version ${opening.version}` : ''} in which event store?`
            : undefined
        }
        onChoose={(id) => (opening ? openIn(id, opening) : onChange({ storeConnectionId: id }))}
      />
      {!validFrom && (
        <p className="muted">
          “{from}” is neither an offset nor a time; showing the last {PAGE} messages.
        </p>
      )}
      {page.error && !follow && (
        <Alert tone="danger" title="Could not read the messages">
          {messageOf(page.error)}
        </Alert>
      )}
      {page.data && !follow && (
        <p className="muted kafka__note">
          Offsets {page.data.start}–{Number(page.data.next) - 1} of a partition ending at {page.data.end}.
        </p>
      )}
      <table className="kafka-table" data-testid="kafka-messages">
        <thead>
          <tr>
            <th className="num">Offset</th>
            <th>{timeHeader()}</th>
            <th>Key</th>
            <th>Value</th>
            <th>Headers</th>
          </tr>
        </thead>
        <tbody>
          {messages.map((m) => (
            <tr key={m.offset} data-testid="kafka-message-row">
              <td className="num">{m.offset}</td>
              <td className="mono">
                <Time iso={m.timestamp} compact />
              </td>
              <td className="mono">{m.key ?? <span className="muted">null</span>}</td>
              <td className="mono kafka-browser__value">
                <span className="badge">{m.valueEncoding}</span> <MessageValue message={m} />
                {m.valueBytes > 65_536 && <span className="muted"> (cut; {m.valueBytes} bytes)</span>}
                {m.event && (
                  <>
                    {' '}
                    <a
                      href={streamHref(m.event.streamId, m.event.version)}
                      title={store ? `Open the event in “${store.name}”` : 'Choose the event store to open it in'}
                      onClick={(e) => {
                        e.preventDefault();
                        if (store) openIn(store.connectionId, m.event!);
                        else setOpening(m.event);
                      }}
                      data-testid="kafka-open-event"
                    >
                      open event
                    </a>
                  </>
                )}
              </td>
              <td className="mono kafka-browser__headers">
                {Object.entries(m.headers).map(([k, v]) => (
                  <div key={k}>
                    {k}: {v}
                  </div>
                ))}
              </td>
            </tr>
          ))}
          {messages.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                {follow ? 'Waiting for new messages…' : page.isPending ? 'Reading…' : 'No messages here.'}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </Panel>
  );
}

/** A JSON value as a tree (two levels open); text, hex, and JSON cut at 64 KiB as they came. */
function MessageValue({ message }: { message: KafkaMessage }) {
  const parsed = message.valueEncoding === 'json' && message.value !== null ? parseJson(message.value) : undefined;
  if (parsed === undefined) return <>{message.value}</>;
  return <JsonTree value={parsed.value} initialDepth={2} toolbar={false} className="kafka-browser__json" testId="kafka-message-json" />;
}

/** Integers past 2^53 (64-bit ids) stay exact: read from their source text as bigints, which the JSON tree shows. */
const exactIntegers = (_key: string, value: unknown, context?: { source?: string }) =>
  typeof value === 'number' && !Number.isSafeInteger(value) && context?.source !== undefined && /^-?\d+$/.test(context.source) ? BigInt(context.source) : value;

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text, exactIntegers as (key: string, value: unknown) => unknown) as unknown };
  } catch {
    return undefined;
  }
}
