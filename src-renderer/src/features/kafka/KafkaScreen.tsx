import { useActiveConnection } from '../../app/active-connection';
import { useQueryState } from '../../app/routes';
import { useOperation } from '../../client/operation-hooks';
import { SelectField } from '../../ui/inputs';
import { ClusterView } from './ClusterView';
import { GroupView } from './GroupView';
import { TopicBrowser } from './TopicBrowser';
import { viewFromQuery, viewToQuery } from './kafka-view';
import './kafka.css';

/** Kafka: the cluster with its groups' lag and status, or one group's lag over time and its offset reset. */
export function KafkaScreen() {
  const [view, setView] = useQueryState(viewFromQuery, viewToQuery, { history: 'push' });
  const { active } = useActiveConnection();
  const profiles = useOperation('connections.list', {});
  const kafkaProfiles = (profiles.data ?? []).filter((p) => p.kind === 'kafka');
  const connectionId = view.connectionId ?? (active?.kind === 'kafka' ? active.id : kafkaProfiles[0]?.id);

  if (profiles.isPending) return <div className="empty-state">Loading…</div>;
  if (!kafkaProfiles.length || !connectionId) {
    return (
      <div className="empty-state" data-testid="kafka-none">
        No Kafka connection yet. Add one under <a href="#/connections">Connections</a> to see its topics, consumer groups and lag.
      </div>
    );
  }

  return (
    <div className="kafka" data-testid="kafka-screen">
      <div className="kafka__controls">
        <SelectField
          label="Kafka connection"
          value={connectionId}
          options={kafkaProfiles.map((p) => ({ value: p.id, label: `${p.name}${p.readOnly ? ' (read-only)' : ''}` }))}
          onChange={(id) => setView({ range: view.range, connectionId: id })}
          testId="kafka-connection"
        />
        {(view.groupId || view.topic) && (
          <a className="link-button kafka__back" href={`#/kafka?c=${encodeURIComponent(connectionId)}`} data-testid="kafka-back">
            ← Cluster
          </a>
        )}
      </div>
      {view.topic ? (
        <TopicBrowser
          connectionId={connectionId}
          topic={view.topic}
          partition={view.partition ?? 0}
          from={view.from}
          storeConnectionId={view.storeConnectionId}
          onChange={(change) => setView({ ...view, connectionId, ...change })}
        />
      ) : view.groupId ? (
        <GroupView
          connectionId={connectionId}
          readOnly={kafkaProfiles.find((p) => p.id === connectionId)?.readOnly ?? true}
          groupId={view.groupId}
          range={view.range}
          onRange={(range) => setView({ ...view, connectionId, range })}
          storeConnectionId={view.storeConnectionId}
          projection={view.projection}
          onPipeline={(change) => setView({ ...view, connectionId, ...change }, 'projection' in change ? 'replace' : 'push')}
        />
      ) : (
        <ClusterView
          connectionId={connectionId}
          onGroup={(groupId) => setView({ ...view, connectionId, groupId })}
          onTopic={(topic) => setView({ range: view.range, connectionId, topic })}
        />
      )}
    </div>
  );
}
