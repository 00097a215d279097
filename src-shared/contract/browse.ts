import { z } from 'zod';
import { exportTarget } from '../feed-filters';
import {
  eventsExportInput,
  eventsExportResult,
  feedReadInput,
  feedReadResult,
  feedTailData,
  feedTailInput,
  statsHistogramInput,
  statsHistogramResult,
  statsLargestStreamsInput,
  statsLargestStreamsResult,
  statsStoreInput,
  statsStoreResult,
  storeCapabilities,
  storesConfigureInput,
  storesDescribeInput,
  storesDetectInput,
  storesDetectResult,
  storesInspectInput,
  storesInspectResult,
  streamsListInput,
  streamsListResult,
  streamsReadInput,
  streamsReadResult,
} from '../schemas/browse';
import { op } from './op';

/** Reads of a connection's events through its confirmed preset: stale once the preset or the profile changes. */
export const STORE_READS = [
  'stores.detect',
  'stores.describe',
  'streams.list',
  'streams.read',
  'feed.read',
  'stats.histogram',
  'stats.largestStreams',
  'stats.store',
  'timeTravel.compare',
  'timeTravel.steps',
  'timeTravel.fieldHistory',
] as const;

/** The operations of reading a store's events, streams and statistics, and exporting them. */
export const browseOperations = {
  'stores.detect': op({
    summary: 'Propose an event-store schema preset from the tables found, with the evidence',
    input: storesDetectInput,
    result: storesDetectResult,
    effect: 'none',
  }),
  'stores.inspect': op({
    summary: 'Tables and columns (PostgreSQL) or collections and sampled field names (MongoDB), for a custom mapping',
    input: storesInspectInput,
    result: storesInspectResult,
    effect: 'none',
  }),
  'stores.configure': op({
    summary: 'Confirm which preset maps this connection onto the event-store port',
    input: storesConfigureInput,
    result: storeCapabilities,
    effect: 'local',
    target: (input) => `connection:${input.connectionId}`,
    invalidates: [...STORE_READS, 'kafka.storeLink'],
  }),
  'stores.describe': op({
    summary: 'What the connected store can do (global order, categories, correlation...)',
    input: storesDescribeInput,
    result: storeCapabilities,
    effect: 'none',
  }),
  'streams.list': op({
    summary: 'Streams with event count and last activity, keyset-paged',
    input: streamsListInput,
    result: streamsListResult,
    effect: 'none',
  }),
  'streams.read': op({
    summary: 'Events of one stream by version range',
    input: streamsReadInput,
    result: streamsReadResult,
    effect: 'none',
    personalData: true,
  }),
  'feed.read': op({
    summary: 'The global feed by position, filtered by type, category, time, correlation/causation or a JSON field; with index advice',
    input: feedReadInput,
    result: feedReadResult,
    effect: 'none',
    personalData: true,
  }),
  'feed.tail': op({
    summary: 'Follow new events live (polling), gap-safe: a late commit with a lower position is never skipped',
    input: feedTailInput,
    result: z.object({ position: z.string() }),
    stream: feedTailData,
    effect: 'none',
    personalData: true,
  }),
  'events.export': op({
    summary: 'Write a stream or a filtered feed to an NDJSON or CSV file, streamed, with progress and cancel',
    input: eventsExportInput,
    result: eventsExportResult,
    // Data leaves the store: recorded in the audit log like a change.
    effect: 'local',
    personalData: true,
    // Names what left: "who exported this stream?" is answered by searching for it.
    target: (input) => exportTarget(input.connectionId, input.source),
  }),
  'stats.histogram': op({
    summary: 'Events per minute, hour or day over a time range, per type',
    input: statsHistogramInput,
    result: statsHistogramResult,
    effect: 'none',
  }),
  'stats.largestStreams': op({
    summary: 'The streams with the most events',
    input: statsLargestStreamsInput,
    result: statsLargestStreamsResult,
    effect: 'none',
  }),
  'stats.store': op({
    summary: "The store's own figures: events and streams (exact when cheap), head position, recent rate",
    input: statsStoreInput,
    result: statsStoreResult,
    effect: 'none',
  }),
} as const;
