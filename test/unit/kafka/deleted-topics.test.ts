import { describe, expect, it } from 'vitest';
import { GroupTopics, withDeletedTopics } from '../../../src-main/engine/kafka/deleted-topics';
import { isUnknownTopic } from '../../../src-main/engine/connections/kafka-admin-healing';

const offsets = (...entries: [string, number, number][]) =>
  new Map(entries.map(([topic, partition, committed]) => [`${topic}:${partition}`, { topic, partition, committed }]));
const group = { groupId: 'g', protocolType: 'consumer', state: 'Stable', describable: true, members: [] };

describe('GroupTopics', () => {
  it('keeps naming a deleted topic after Kafka dropped its offsets, and forgets it once the topic exists again', () => {
    const topics = new GroupTopics();
    expect(topics.split('c', 'g', offsets(['a', 0, 1], ['b', 0, 2]), new Set())).toEqual({ live: offsets(['a', 0, 1], ['b', 0, 2]), deletedTopics: [] });
    // Deleted while its offsets are still there: left out of the live offsets.
    expect(topics.split('c', 'g', offsets(['a', 0, 1], ['b', 0, 2]), new Set(['a']))).toEqual({ live: offsets(['b', 0, 2]), deletedTopics: ['a'] });
    // Its offsets gone: still looked up, still named.
    expect(topics.topicsOf('c', 'g', offsets(['b', 0, 2]))).toEqual(['a', 'b']);
    expect(topics.split('c', 'g', offsets(['b', 0, 2]), new Set(['a'])).deletedTopics).toEqual(['a']);
    // Created again (the cluster lists it): forgotten.
    expect(topics.split('c', 'g', offsets(['b', 0, 2]), new Set()).deletedTopics).toEqual([]);
    expect(topics.topicsOf('c', 'g', offsets(['b', 0, 2]))).toEqual(['b']);
  });

  it('forgets groups that are no longer listed', () => {
    const topics = new GroupTopics();
    topics.split('c', 'gone', offsets(['a', 0, 1]), new Set(['a']));
    topics.split('c', 'kept', offsets(['a', 0, 1]), new Set(['a']));
    topics.retain('c', ['kept']);
    expect(topics.topicsOf('c', 'gone', new Map())).toEqual([]);
    expect(topics.topicsOf('c', 'kept', new Map())).toEqual(['a']);
  });
});

describe('withDeletedTopics', () => {
  it('adds a note naming the deleted topics after any note the group has', () => {
    expect(withDeletedTopics(group, [])).toBe(group);
    expect(withDeletedTopics({ ...group, note: 'Members are not shown.' }, ['a', 'b']).note).toBe(
      'Members are not shown. Topics "a", "b" were deleted: the group\'s offsets on them are gone with them, and its lag is shown for the topics that remain.',
    );
  });
});

describe('isUnknownTopic', () => {
  it('finds UNKNOWN_TOPIC_OR_PARTITION also inside kafkajs retry errors', () => {
    expect(isUnknownTopic({ type: 'UNKNOWN_TOPIC_OR_PARTITION' })).toBe(true);
    expect(isUnknownTopic({ name: 'KafkaJSNumberOfRetriesExceeded', originalError: { type: 'UNKNOWN_TOPIC_OR_PARTITION' } })).toBe(true);
    expect(isUnknownTopic({ type: 'NOT_CONTROLLER' })).toBe(false);
    expect(isUnknownTopic(new Error('This server does not host this topic-partition'))).toBe(true);
    expect(isUnknownTopic(new Error('Connection refused'))).toBe(false);
  });
});
