import { messageOf } from '../../client/errors';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import type { KafkaCluster, KafkaGroups } from '../../../../src-shared/schemas/kafka';
import { Panel } from '../../ui/Panel';
import { formatBytes } from '../../ui/format';
import { formatCount, formatSeconds } from './kafka-view';
import { LagSeconds } from './LagSeconds';
import { StatusBadge } from './StatusBadge';
import { formatClock } from '../../ui/time';

/** Brokers, topics and every consumer group with its state, members, lag and status. */
export function ClusterView({
  connectionId,
  onGroup,
  onTopic,
}: {
  connectionId: string;
  onGroup: (groupId: string) => void;
  onTopic: (topic: string) => void;
}) {
  // The groups list comes from the lag sampler's last sample, so it shows at once; brokers and topics are read from the cluster.
  const groupsList = useOperation('kafka.groups', { connectionId }, { refetchInterval: 5000, retry: false });
  const cluster = useOperation('kafka.cluster', { connectionId }, { refetchInterval: 15_000, retry: false });
  const error = groupsList.error ?? cluster.error;
  if (error) {
    return (
      <Alert tone="danger" title="Could not read the cluster" testId="kafka-error">
        {messageOf(error)}
      </Alert>
    );
  }

  return (
    <>
      {groupsList.data ? <GroupsPanel list={groupsList.data} onGroup={onGroup} /> : <div className="empty-state">Reading the consumer groups…</div>}
      {cluster.data ? <ClusterPanels cluster={cluster.data} onTopic={onTopic} /> : <div className="empty-state">Reading the cluster…</div>}
    </>
  );
}

function GroupsPanel({ list, onGroup }: { list: KafkaGroups; onGroup: (groupId: string) => void }) {
  const { groups, sampler } = list;
  return (
    <Panel title={`Consumer groups (${groups.length})`} testId="kafka-groups">
      <p className="muted kafka__note" data-testid="kafka-groups-age" data-source={list.source}>
        {list.source === 'sampler' ? `As of the lag sample taken at ${formatClock(list.at)}` : `Read at ${formatClock(list.at)}; no lag sample yet`}; lag is
        sampled every {sampler.intervalMs / 1000} s ({sampler.scope === 'all' ? 'all groups' : 'pinned groups'}).
        {sampler.lastError ? ` The last sample failed: ${sampler.lastError}` : ''}
      </p>
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
              <th className="num">Lag (messages, all partitions)</th>
              <th className="num" title="Lag in time does not add up across partitions: the group is as far behind as its worst partition">
                Lag (time, worst partition)
              </th>
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
                <td title={g.note}>{g.state}</td>
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
  );
}

function ClusterPanels({ cluster, onTopic }: { cluster: KafkaCluster; onTopic: (topic: string) => void }) {
  const { brokers, topics } = cluster;
  const userTopics = topics.filter((t) => !t.internal);
  return (
    <>
      <Panel title={`Cluster ${cluster.clusterId}`} testId="kafka-brokers">
        <table className="kafka-table">
          <thead>
            <tr>
              <th>Broker</th>
              <th>Address</th>
              <th>Role</th>
              <th>Version</th>
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
                <td title={b.version?.basis ?? 'The broker did not answer ApiVersions.'} data-testid="kafka-broker-version">
                  {b.version?.label ?? '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
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
