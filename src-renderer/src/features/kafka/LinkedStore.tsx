import { useState } from 'react';
import type { KafkaStoreLinkResult } from '../../../../src-shared/schemas/kafka';
import { useActiveConnection } from '../../app/active-connection';
import { hrefOf } from '../../app/routes';
import { messageOf } from '../../client/errors';
import { useMutationOp, useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Badge } from '../../ui/Badge';
import { Button } from '../../ui/Button';
import { CheckboxField } from '../../ui/inputs';

/** The event store a topic's (or a group's topics') events come from, as the engine resolves it: declared, detected, or a question. */
export function useStoreLink(kafkaConnectionId: string, scope: { topic: string } | { groupId: string }) {
  return useOperation('kafka.storeLink', { connectionId: kafkaConnectionId, ...scope }, { retry: false, staleTime: 30_000 });
}

export interface EffectiveStore {
  connectionId: string;
  name: string;
  presetConfirmed: boolean;
  /** How it was reached: chosen on this view, linked to the cluster, detected from the outbox. */
  how: 'chosen' | 'declared' | 'detected';
}

/** The store a view uses: the one chosen on it, else the resolved link; undefined means ask. */
export function effectiveStore(link: KafkaStoreLinkResult | undefined, chosenId: string | undefined): EffectiveStore | undefined {
  if (!link) return undefined;
  if (chosenId) {
    const chosen = link.candidates.find((c) => c.connectionId === chosenId);
    return chosen ? { connectionId: chosen.connectionId, name: chosen.name, presetConfirmed: chosen.presetConfirmed, how: 'chosen' } : undefined;
  }
  return link.linked
    ? { connectionId: link.linked.connectionId, name: link.linked.name, presetConfirmed: link.linked.presetConfirmed, how: link.linked.how }
    : undefined;
}

const HOW_LABEL: Record<EffectiveStore['how'], string> = { chosen: 'chosen here', declared: 'linked to this cluster', detected: 'detected' };

interface StoreLinkBarProps {
  kafkaConnectionId: string;
  link: ReturnType<typeof useStoreLink>;
  chosenId: string | undefined;
  onChoose: (storeConnectionId: string) => void;
  /** Set when a store is needed now and none is in effect: said above the choices. Otherwise an unlinked view only says so. */
  asking?: string | undefined;
}

/** Which event store this view reads: its name and how it was found, a warning when its preset is not confirmed, and the choice when none is linked. */
export function StoreLinkBar({ kafkaConnectionId, link, chosenId, onChoose, asking }: StoreLinkBarProps) {
  const [changing, setChanging] = useState(false);
  const unlink = useMutationOp('connections.update');
  if (link.error) {
    return (
      <Alert tone="danger" title="Could not tell which event store this is" testId="kafka-store-link-error">
        {messageOf(link.error)}
      </Alert>
    );
  }
  if (!link.data) return <p className="muted">Finding the linked event store…</p>;
  const store = effectiveStore(link.data, chosenId);
  if (!store && !changing && asking === undefined) {
    return (
      <p className="muted" data-testid="kafka-store-unlinked">
        {link.data.question}{' '}
        <Button size="sm" variant="secondary" onClick={() => setChanging(true)} data-testid="kafka-store-link-change">
          Choose…
        </Button>
      </p>
    );
  }
  if (!store || changing) {
    return (
      <StoreChooser
        kafkaConnectionId={kafkaConnectionId}
        link={link.data}
        question={store ? 'Choose another event store.' : [asking, link.data.question].filter(Boolean).join(' ')}
        onPick={(id) => {
          setChanging(false);
          onChoose(id);
        }}
        onCancel={store ? () => setChanging(false) : undefined}
      />
    );
  }
  return (
    <div className="kafka-store-link" data-testid="kafka-store-link" data-connection-id={store.connectionId} data-how={store.how}>
      <span>
        Event store: <strong data-testid="kafka-store-link-name">{store.name}</strong>{' '}
        <Badge tone={store.how === 'chosen' ? 'neutral' : 'info'} title={store.how === 'chosen' ? undefined : link.data.linked?.evidence}>
          {HOW_LABEL[store.how]}
        </Badge>{' '}
        <Button size="sm" variant="secondary" onClick={() => setChanging(true)} data-testid="kafka-store-link-change">
          Change
        </Button>{' '}
        {store.how === 'declared' && (
          <Button
            size="sm"
            variant="ghost"
            busy={unlink.isPending}
            onClick={() => unlink.mutate({ id: kafkaConnectionId, pipeline: null, reason: 'Unlinked the event store on the Kafka screen' })}
            data-testid="kafka-store-unlink"
          >
            Unlink from this cluster
          </Button>
        )}
      </span>
      {unlink.error && <p className="field__error">{messageOf(unlink.error)}</p>}
      {!store.presetConfirmed && <PresetNotConfirmed store={store} />}
    </div>
  );
}

/** The store's preset is confirmed on its stream list (the detection panel), reached with that store active. */
export function PresetNotConfirmed({ store }: { store: { connectionId: string; name: string } }) {
  const { setActiveId } = useActiveConnection();
  return (
    <Alert tone="warning" title={`The event-store preset of “${store.name}” is not confirmed`} testId="kafka-store-preset-unconfirmed">
      Its events cannot be read until its schema preset is confirmed.{' '}
      <a href={hrefOf('streams')} onClick={() => setActiveId(store.connectionId)} data-testid="kafka-store-confirm-preset">
        Confirm its preset
      </a>{' '}
      (or under <a href={hrefOf('connections')}>Connections</a>).
    </Alert>
  );
}

interface StoreChooserProps {
  kafkaConnectionId: string;
  link: KafkaStoreLinkResult;
  question: string;
  onPick: (storeConnectionId: string) => void;
  onCancel?: (() => void) | undefined;
}

/** Every event-store profile to pick from (detected ones first), and whether to link the pick to the cluster for every Kafka screen. */
export function StoreChooser({ kafkaConnectionId, link, question, onPick, onCancel }: StoreChooserProps) {
  const [remember, setRemember] = useState(true);
  const save = useMutationOp('connections.update');
  const choices = [...link.candidates].sort((a, b) => Number(b.detected) - Number(a.detected));
  const pick = (id: string) => {
    if (!remember) return onPick(id);
    save.mutate(
      { id: kafkaConnectionId, pipeline: { eventStoreProfileId: id }, reason: 'Linked the event store on the Kafka screen' },
      { onSuccess: () => onPick(id) },
    );
  };
  return (
    <Alert tone="info" title="Which event store?" testId="kafka-store-chooser">
      <p data-testid="kafka-store-question">{question}</p>
      {choices.length === 0 ? (
        <p className="muted">
          No event-store connection yet: add one under <a href={hrefOf('connections')}>Connections</a>.
        </p>
      ) : (
        <div className="kafka-store-chooser__choices">
          {choices.map((c) => (
            <Button
              key={c.connectionId}
              size="sm"
              variant={c.detected ? 'primary' : 'secondary'}
              busy={save.isPending}
              onClick={() => pick(c.connectionId)}
              data-testid="kafka-store-choice"
              data-connection-id={c.connectionId}
            >
              {c.name}
              {c.detected ? ' (its outbox published these)' : ''}
              {c.presetConfirmed ? '' : ' (preset not confirmed)'}
            </Button>
          ))}
          {onCancel && (
            <Button size="sm" variant="secondary" onClick={onCancel}>
              Cancel
            </Button>
          )}
        </div>
      )}
      <CheckboxField
        label="Link this cluster to the chosen store (every Kafka screen then uses it)"
        checked={remember}
        onChange={setRemember}
        testId="kafka-store-remember"
      />
      {save.error && <p className="field__error">{messageOf(save.error)}</p>}
    </Alert>
  );
}
