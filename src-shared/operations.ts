import { z } from 'zod';
import { appOperations } from './contract/app';
import { connectionsOperations } from './contract/connections';
import { browseOperations } from './contract/browse';
import { exportsOperations } from './contract/exports';
import { timeTravelOperations } from './contract/time-travel';
import { jobsOperations } from './contract/jobs';
import { snapshotsOperations } from './contract/snapshots';
import { checkpointsOperations } from './contract/checkpoints';
import { auditOperations } from './contract/audit';
import { kafkaOperations } from './contract/kafka';
import { complianceOperations } from './contract/compliance';
import { rebuildOperations } from './contract/rebuild';
import { localWorkspaceOperations } from './contract/local-workspace';
import { settingsOperations } from './contract/settings';
import { driftOperations } from './contract/drift';
import type { OperationSpec } from './contract/op';
export type { Effect, OperationSpec } from './contract/op';

/** The one table of operations: both hosts and the typed client are derived from it. Each capability declares its own in `contract/`. */
export const operations = {
  ...appOperations,
  ...connectionsOperations,
  ...browseOperations,
  ...exportsOperations,
  ...timeTravelOperations,
  ...jobsOperations,
  ...snapshotsOperations,
  ...checkpointsOperations,
  ...auditOperations,
  ...kafkaOperations,
  ...complianceOperations,
  ...rebuildOperations,
  ...localWorkspaceOperations,
  ...settingsOperations,
  ...driftOperations,
} as const;

export type Operations = typeof operations;
export type OperationName = keyof Operations;
/** What the caller passes (defaults may be omitted). */
export type InputOf<N extends OperationName> = z.input<Operations[N]['input']>;
/** What the handler receives after validation (defaults applied). */
export type ParsedInputOf<N extends OperationName> = z.output<Operations[N]['input']>;
export type ResultOf<N extends OperationName> = z.output<Operations[N]['result']>;
/** Every name some operation's `invalidates` lists. */
type Invalidated = { [N in OperationName]: Operations[N] extends OperationSpec<z.ZodType, z.ZodType, z.ZodType, infer V> ? V : never }[OperationName];
type Assert<T extends true> = T;
/** Fails to compile when an `invalidates` entry names no operation (a typo would silently refresh nothing). */
export type InvalidatesNameOperations = Assert<[Exclude<Invalidated, OperationName>] extends [never] ? true : false>;
export type StreamDataOf<N extends OperationName> = Operations[N] extends { stream?: infer D } ? (D extends z.ZodType ? z.output<D> : never) : never;

/** The connection profiles an operation acts on: its own declaration, else `connectionId` and `connectionIds` of the input. */
export function connectionsOf(spec: OperationSpec, input: unknown): string[] {
  if (spec.connectionsOf) return spec.connectionsOf(input as never);
  if (typeof input !== 'object' || input === null) return [];
  const { connectionId, connectionIds } = input as { connectionId?: unknown; connectionIds?: unknown };
  const named = [
    ...(typeof connectionId === 'string' ? [connectionId] : []),
    ...(Array.isArray(connectionIds) ? connectionIds.filter((id): id is string => typeof id === 'string') : []),
  ];
  return [...new Set(named)];
}

/**
 * Whether the operation can always name the connections it acts on: a declaration,
 * or a required `connectionId` / `connectionIds` in its input. `target` operations must.
 */
export function namesItsConnections(spec: OperationSpec): boolean {
  if (spec.connectionsOf) return true;
  const shape = spec.input instanceof z.ZodObject ? (spec.input.shape as Record<string, z.ZodType>) : undefined;
  if (!shape) return false;
  const required = (key: string) => key in shape && !shape[key]!.safeParse(undefined).success;
  return required('connectionId') || required('connectionIds');
}

/** Names of `target` operations that could run without naming a connection: the read-only guard would not see them. */
export function targetsWithoutConnections(table: Record<string, OperationSpec>): string[] {
  return Object.entries(table)
    .filter(([, spec]) => spec.effect === 'target' && !namesItsConnections(spec))
    .map(([name]) => name);
}

/** What follows a call: whether it succeeded, and whether it was a dry run (which changes nothing). */
export interface CallOutcome {
  succeeded: boolean;
  dryRun?: boolean;
}

/**
 * The results a call made stale, from the table: the operation's `invalidates`
 * after a real success, and the audit log after any audited call (failures are
 * audited too).
 */
export function staleAfter(op: OperationName, outcome: CallOutcome): OperationName[] {
  const spec: OperationSpec = operations[op];
  // Entries are operation names: `InvalidatesNameOperations` checks the table.
  const changed = outcome.succeeded && outcome.dryRun !== true ? ((spec.invalidates ?? []) as readonly OperationName[]) : [];
  const audited: OperationName[] = spec.effect === 'none' ? [] : ['audit.list', 'audit.verify'];
  return [...new Set([...changed, ...audited])];
}

export function isOperationName(name: string): name is OperationName {
  return Object.prototype.hasOwnProperty.call(operations, name);
}
