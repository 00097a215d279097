import { messageOf } from '../../client/errors';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Panel } from '../../ui/Panel';
import { formatBytes } from './format-bytes';
import { formatCount, formatSeconds } from './kafka-view';
import { LagSeconds } from './LagSeconds';
import { StatusBadge } from './StatusBadge';

/** Brokers, topics and every consumer group with its state, members, lag and status. */
export function ClusterView({ connectionId, onGroup, onTopic }: { connectionId: string; onGroup: (groupId: string) => void; onTopic: (topic: string) => void }) {
  const cluster = useOperation('kafka.cluster', { connectionId }, { refetchInterval: 5000, retry: false });
  if (cluster.error) {
    return (
      <Alert tone="danger" title="Could not read the cluster" testId="kafka-error">
        {messageOf(cluster.error)}
      </Alert>
    );
  }
  if (!cluster.data) return <div className="empty-state">Reading the cluster…</div>;
  const { brokers, topics, groups, sampler } = cluster.data;
  const userTopics = topics.filter((t) => !t.internal);

  return (
    <>
      <Panel title={`Cluster ${cluster.data.clusterId}`} testId="kafka-brokers">
        <table className="kafka-table">
          <thead>
            <tr>
              <th>Broker</th>
              <th>Address</th>
              <th>Role</th>
            </tr>
          </thead>
          <tbody>
            {brokers.map((b) => (
              <tr key={b.nodeId}>
                <td className="num">{b.nodeId}</td>
                <td className="mono">
                  {b.host}:{b.port}
                </td>
                <td>{b.controller ? 'controller' : 'broker'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted kafka__note">
          Lag is sampled every {sampler.intervalMs / 1000} s ({sampler.scope === 'all' ? 'all groups' : 'pinned groups'})
          {sampler.lastTickAt ? `; last sample ${new Date(sampler.lastTickAt).toLocaleTimeString()}` : '; no sample yet'}.
          {sampler.lastError ? ` The last sample failed: ${sampler.lastError}` : ''}
        </p>
      </Panel>

      <Panel title={`Consumer groups (${groups.length})`} testId="kafka-groups">
        {groups.length === 0 ? (
          <div className="empty-state">No consumer groups on this cluster.</div>
        ) : (
          <table className="kafka-table">
            <thead>
              <tr>
                <th>Group</th>
                <th>Protocol</th>
                <th>State</th>
                <th className="num">Members</th>
                <th className="num">Lag (messages)</th>
                <th className="num">Lag (time)</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr key={g.groupId} data-testid="kafka-group-row" data-group-id={g.groupId}>
                  <td>
                    <button type="button" className="link-button mono" onClick={() => onGroup(g.groupId)}>
                      {g.groupId}
                    </button>
                  </td>
                  <td>{g.protocolType}</td>
                  <td>{g.state}</td>
                  <td className="num" title={g.note}>
                    {g.members ?? '?'}
                  </td>
                  <td className="num">{formatCount(g.lag)}</td>
                  <td className="num">
                    <LagSeconds seconds={g.lagSeconds} basis={g.lagSecondsBasis} testId="kafka-group-lag-seconds" />
                  </td>
                  <td>
                    <StatusBadge status={g.status} reason={g.reason} testId="kafka-group-status" />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {groups.some((g) => g.note) && <p className="muted kafka__note">“?” members: {groups.find((g) => g.note)?.note}</p>}
      </Panel>

      <Panel title={`Topics (${userTopics.length}, plus ${topics.length - userTopics.length} internal)`} testId="kafka-topics">
        <table className="kafka-table">
          <thead>
            <tr>
              <th>Topic</th>
              <th className="num">Partitions</th>
              <th className="num">Replication</th>
              <th className="num">Retention</th>
              <th className="num">Messages</th>
              <th className="num">Size</th>
              <th>End offsets</th>
            </tr>
          </thead>
          <tbody>
            {userTopics.map((t) => (
              <tr key={t.name}>
                <td>
                  <button type="button" className="link-button mono" onClick={() => onTopic(t.name)} data-testid="kafka-topic-link">
                    {t.name}
                  </button>
                </td>
                <td className="num">{t.partitions}</td>
                <td className="num">{t.replicationFactor}</td>
                <td className="num">{t.retentionMs === undefined ? '—' : t.retentionMs < 0 ? 'forever' : formatSeconds(t.retentionMs / 1000)}</td>
                <td className="num">{formatCount(t.messages)}</td>
                <td className="num" title="kafkajs cannot read log directory sizes">
                  {t.sizeBytes === undefined ? '—' : formatBytes(t.sizeBytes)}
                </td>
                <td className="mono kafka__offsets">{t.endOffsets.map((o) => `${o.partition}:${o.end}`).join('  ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
    </>
  );
}
