import { z } from 'zod';
import { empty } from '../schemas/common';
import {
  connectionStatus,
  connectionTestResult,
  connectionView,
  connectionsAddInput,
  connectionsRemoveInput,
  connectionsStatusInput,
  connectionsTestInput,
  connectionsUpdateInput,
} from '../schemas/connections';
import { op } from './op';
import { STORE_READS } from './browse';

/** The operations of connection profiles. */
export const connectionsOperations = {
  'connections.list': op({ summary: 'Saved connection profiles, secrets omitted', input: empty, result: z.array(connectionView), effect: 'none' }),
  'connections.add': op({
    summary: 'Save a new connection profile',
    input: connectionsAddInput,
    result: connectionView,
    effect: 'local',
    // Named by id like update and remove, so one profile's history lines up in the audit log.
    target: (input, result) => `connection:${result?.id ?? input.name}`,
    invalidates: ['connections.list', 'kafka.storeLink'],
  }),
  'connections.update': op({
    summary: 'Change a connection profile (name, settings, read-only flag, secret)',
    input: connectionsUpdateInput,
    result: connectionView,
    effect: 'local',
    target: (input) => `connection:${input.id}`,
    invalidates: ['connections.list', 'stores.inspect', 'kafka.storeLink', ...STORE_READS],
  }),
  'connections.remove': op({
    summary: 'Delete a connection profile and its stored secret',
    input: connectionsRemoveInput,
    result: z.object({ removed: z.boolean(), profile: connectionView, confirmation: z.string().optional() }),
    effect: 'local',
    destructive: true,
    target: (input) => `connection:${input.id}`,
    plan: (result) => ({ id: result.profile.id, name: result.profile.name }),
    invalidates: ['connections.list', 'kafka.storeLink'],
  }),
  'connections.test': op({
    summary: 'Connect for real and report server version or cluster id and round-trip time',
    input: connectionsTestInput,
    result: connectionTestResult,
    effect: 'none',
  }),
  'connections.status': op({
    summary: 'Stream the reachability of every profile, checked periodically',
    input: connectionsStatusInput,
    result: z.object({ rounds: z.number() }),
    stream: z.array(connectionStatus),
    effect: 'none',
  }),
} as const;
