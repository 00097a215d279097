import type { Cluster } from 'kafkajs';

/** What a broker's ApiVersions answer says of its release: a lower bound, and the protocol fact it rests on. */
export interface BrokerVersion {
  /** "Kafka ≥ 3.9", or "Kafka < 3.7" when no marker matched. */
  label: string;
  /** Why: the API (and version range) that first appeared in that release. */
  basis: string;
}

/** kafkajs' answer: per API key, the range of versions the broker speaks. */
type ApiVersions = Record<number, { minVersion: number; maxVersion: number }>;

/*
 * Kafka has no "version" request; what a broker says is which request
 * versions it speaks (ApiVersions), and each release adds or drops some.
 * Newest first: the first marker that matches gives the lower bound.
 * Each marker is the change the release's KIP made to the protocol.
 */
const MARKERS: { release: string; matches: (v: ApiVersions) => boolean; basis: string }[] = [
  { release: '4.0', matches: (v) => (v[1]?.minVersion ?? 0) >= 4, basis: 'it no longer speaks Fetch versions below 4, which Kafka 4.0 removed (KIP-896)' },
  { release: '3.9', matches: (v) => v[80] !== undefined, basis: 'it answers AddRaftVoter (API 80), new in Kafka 3.9 (KIP-853)' },
  { release: '3.8', matches: (v) => v[75] !== undefined, basis: 'it answers DescribeTopicPartitions (API 75), new in Kafka 3.8 (KIP-966)' },
  { release: '3.7', matches: (v) => v[74] !== undefined, basis: 'it answers ListClientMetricsResources (API 74), new in Kafka 3.7 (KIP-714)' },
];

/** The release lower bound an ApiVersions answer shows. */
export function inferBrokerVersion(versions: ApiVersions): BrokerVersion {
  const marker = MARKERS.find((m) => m.matches(versions));
  const how = 'Kafka brokers do not report their version; this is inferred from the protocol versions the broker supports (ApiVersions):';
  // No marker is not proof of an old release: a ZooKeeper-mode broker does not list KRaft's requests either.
  if (!marker)
    return {
      label: 'Release not inferred',
      basis: `${how} it speaks none of the requests Kafka 3.7 and later added, so it is older than 3.7, runs in ZooKeeper mode, or is another Kafka-compatible broker.`,
    };
  return { label: `Kafka ≥ ${marker.release}`, basis: `${how} ${marker.basis}. Later releases may answer the same.` };
}

/** Each broker's inferred version by node id; a broker that does not answer is left out. */
export async function brokerVersions(cluster: Cluster, nodeIds: readonly number[]): Promise<Map<number, BrokerVersion>> {
  await cluster.refreshMetadataIfNecessary();
  const answers = await Promise.all(
    nodeIds.map(async (nodeId) => {
      try {
        const broker = await cluster.findBroker({ nodeId: String(nodeId) });
        return [nodeId, inferBrokerVersion((await broker.apiVersions()) as ApiVersions)] as const;
      } catch {
        return undefined;
      }
    }),
  );
  return new Map(answers.filter((a) => a !== undefined));
}
