import { randomInt } from 'node:crypto';
import { ChronoError } from '../../../src-shared/errors';
import type { ParsedInputOf } from '../../../src-shared/operations';
import { isJobOf } from '../../../src-shared/contract/job-kinds';
import type { SnapshotMapping, SnapshotSelection, SnapshotsChangeResult } from '../../../src-shared/schemas/snapshots';
import { notJsonMessage, type SnapshotFilter, type SnapshotKey, type SnapshotStore, type SnapshotView } from '../../stores/ports/snapshot-store';
import type { Handlers } from '../dispatch/dispatcher';
import { guard } from '../checkpoints/companion-ports';
import type { Jobs } from '../jobs/jobs';
import { VERIFY_ALL_SNAPSHOTS, type Replayer } from '../jobs/verify-all-snapshots';
import { DELETE_SNAPSHOTS, REGENERATE_SNAPSHOTS, refuseEmptyFilter, regenerate, type ChangeScope } from './change-jobs';
import { diff } from './replay-port';
import type { SnapshotVerdicts } from '../time-travel/snapshot-verdicts';
import type { SettleVerifications } from './settle-verifications';

export interface SnapshotHandlerDeps {
  jobs: Jobs;
  /** The connection's SnapshotStore (not found / layout errors as sentences). */
  snapshots(connectionId: string): Promise<SnapshotStore>;
  replayer(connectionId: string, definition: string, signal: AbortSignal): Promise<Replayer>;
  /** The profile's name, for job titles; throws not_found for an unknown profile. */
  connectionName(connectionId: string): Promise<string>;
  /** Custom snapshot mappings: the one kept per connection, and checking and keeping one (SnapshotService). */
  mappings: {
    mapping(connectionId: string): Promise<SnapshotMapping | null>;
    configure(connectionId: string, mapping: SnapshotMapping | null): Promise<{ source: string | null; snapshots: number }>;
  };
  /** Where what an inspection found is remembered, so time travel never starts silently from a snapshot known wrong. */
  verdicts?: Pick<SnapshotVerdicts, 'record'>;
  /** Told which snapshots a change made, so finished verifications stop counting them. */
  settle?: SettleVerifications;
}

type SnapshotOperation =
  'snapshots.list' | 'snapshots.inspect' | 'snapshots.verifyAll' | 'snapshots.delete' | 'snapshots.regenerate' | 'snapshots.mapping' | 'snapshots.configure';

/** Snapshots shown in a dry run. */
const FIRST_SHOWN = 20;
/** Keys a selection of failed snapshots may hold (a verification lists at most 1000 mismatches and 100 failures). */
const MAX_KEYS = 1100;

/** The snapshot operations: list, inspect beside a replay, bulk verification, delete and regenerate. */
export function snapshotHandlers(deps: SnapshotHandlerDeps): Pick<Handlers, SnapshotOperation> {
  const { jobs } = deps;
  const store = (connectionId: string) => guard(() => deps.snapshots(connectionId));

  /** What a selection names, resolved to a filter or keys; `note` when the list behind it was cut. */
  async function resolve(connectionId: string, selection: SnapshotSelection): Promise<{ scope: ChangeScope | { one: SnapshotKey }; note?: string }> {
    if (selection.kind === 'one') return { scope: { one: { streamId: selection.streamId, version: selection.version } } };
    if (selection.kind === 'filter') {
      const filter = definedOnly(selection.filter);
      refuseEmptyFilter(filter);
      return { scope: { filter } };
    }
    const job = await jobs.get(selection.jobId);
    if (!isJobOf(job, VERIFY_ALL_SNAPSHOTS) || !job.connectionIds.includes(connectionId)) {
      throw new ChronoError('invalid_input', `Job ${selection.jobId} is not a snapshot verification of this connection: choose one from the Snapshots screen.`);
    }
    if (job.state !== 'done' || !job.result)
      throw new ChronoError('conflict', `The verification job is ${job.state}: wait for it to finish (or resume it) before acting on what it found.`);
    const { result } = job;
    const keys = [
      ...result.mismatches.map((m) => ({ streamId: m.streamId, version: m.snapshotVersion })),
      ...result.failures.flatMap((f) => (f.snapshotVersion !== undefined ? [{ streamId: f.streamId, version: f.snapshotVersion }] : [])),
    ].slice(0, MAX_KEYS);
    keys.sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : a.version - b.version));
    return {
      scope: { keys },
      ...(result.truncated
        ? { note: 'The verification listed only the first of the snapshots it found wrong: run it again afterwards to find the rest.' }
        : {}),
    };
  }

  /** How many of the scope's snapshots exist now, and the first of them. */
  async function preview(port: SnapshotStore, scope: ChangeScope | { one: SnapshotKey }): Promise<{ count: number; first: SnapshotView[] }> {
    if ('one' in scope) {
      const found = await port.read(scope.one!);
      return found ? { count: 1, first: [view(found)] } : { count: 0, first: [] };
    }
    if (scope.filter) return { count: await port.count(scope.filter), first: (await port.list({ ...scope.filter, limit: FIRST_SHOWN })).snapshots };
    const found: SnapshotView[] = [];
    for (const key of scope.keys) {
      const s = await port.read(key);
      if (s) found.push(view(s));
    }
    return { count: found.length, first: found.slice(0, FIRST_SHOWN) };
  }

  function scopeWords(selection: SnapshotSelection): string {
    if (selection.kind === 'one') return `${selection.streamId} v${selection.version}`;
    if (selection.kind === 'failedVerification') return 'those that failed verification';
    const f = selection.filter;
    return [
      f.streamType && `type ${f.streamType}`,
      f.streamPrefix && `streams ${f.streamPrefix}…`,
      f.takenBefore && `taken before ${f.takenBefore}`,
      f.versionBelow !== undefined && `below version ${f.versionBelow}`,
      f.minSizeBytes !== undefined && `≥ ${f.minSizeBytes} bytes`,
      f.maxSizeBytes !== undefined && `≤ ${f.maxSizeBytes} bytes`,
    ]
      .filter(Boolean)
      .join(', ');
  }

  async function change(
    kind: typeof DELETE_SNAPSHOTS | typeof REGENERATE_SNAPSHOTS,
    input: ParsedInputOf<'snapshots.delete'> & { definition?: string },
    signal: AbortSignal,
  ): Promise<SnapshotsChangeResult> {
    const { connectionId, selection } = input;
    const name = await deps.connectionName(connectionId);
    const port = await store(connectionId);
    const { scope, note } = await resolve(connectionId, selection);
    const { count, first } = await guard(() => preview(port, scope));
    const answer = { count, first, ...(note ? { note } : {}) };
    if (input.dryRun) return { dryRun: true, ...answer };
    if ('one' in scope) {
      const key = scope.one!;
      if (kind === DELETE_SNAPSHOTS) {
        const deleted = await guard(() => port.delete(key));
        if (deleted) await deps.settle?.(connectionId, 'deleted', [key]);
        return { dryRun: false, ...answer, count: deleted ? 1 : 0 };
      }
      return { dryRun: false, ...answer, count: await regenerateOne(connectionId, port, key, input.definition ?? 'auto', signal) };
    }
    if (count === 0) return { dryRun: false, ...answer };
    const verb = kind === DELETE_SNAPSHOTS ? 'Delete' : 'Regenerate';
    const title = `${verb} snapshots of ${name} (${scopeWords(selection)})`;
    const job =
      kind === REGENERATE_SNAPSHOTS
        ? await jobs.start({ kind, title, connectionIds: [connectionId], params: { connectionId, ...scope, definition: input.definition ?? 'auto' } })
        : await jobs.start({ kind, title, connectionIds: [connectionId], params: { connectionId, ...scope } });
    return { dryRun: false, ...answer, jobId: job.id };
  }

  /** Regenerates one snapshot at once; its failure is the call's error and nothing is written. */
  async function regenerateOne(connectionId: string, port: SnapshotStore, key: SnapshotKey, definition: string, signal: AbortSignal): Promise<number> {
    const snapshot = await guard(() => port.read(key));
    if (!snapshot) return 0;
    if (!snapshot.isJson) throw new ChronoError('invalid_input', notJsonMessage(key, port.source()));
    const replayer = await deps.replayer(connectionId, definition, signal);
    const result = { changed: 0, missing: 0, failed: 0, failures: [] as { streamId: string; version: number; message: string }[] };
    const written: SnapshotKey[] = [];
    try {
      await guard(() => regenerate(port, replayer, [snapshot], result, written));
    } finally {
      await replayer.close();
    }
    const failure = result.failures[0];
    if (failure) throw new ChronoError('invalid_input', failure.message);
    await deps.settle?.(connectionId, 'regenerated', written);
    return result.changed;
  }

  return {
    'snapshots.list': async ({ connectionId, after, limit, ...filter }) => {
      const port = await store(connectionId);
      return guard(async () => ({
        source: port.source(),
        ...(await port.list({ ...definedOnly(filter), ...(after !== undefined ? { after } : {}), ...(limit !== undefined ? { limit } : {}) })),
      }));
    },
    'snapshots.inspect': async ({ connectionId, streamId, version, definition }, context) => {
      const port = await store(connectionId);
      const snapshot = await guard(() => port.read({ streamId, version }));
      if (!snapshot) throw new ChronoError('not_found', `There is no snapshot of ${streamId} at version ${version} (it may have been deleted).`);
      const shown = { ...view(snapshot), state: snapshot.state, isJson: snapshot.isJson };
      if (!snapshot.isJson) return { snapshot: shown, diff: [], ok: false, streamTooShort: false, message: notJsonMessage(snapshot, port.source()) };
      const replayer = await deps.replayer(connectionId, definition, context.signal);
      let answer: Awaited<ReturnType<Handlers['snapshots.inspect']>> | undefined;
      try {
        await replayer.replay([{ streamId, version }], (_target, outcome) => {
          if (!outcome.ok) {
            answer = { snapshot: shown, diff: [], ok: false, streamTooShort: false, message: outcome.message };
            return;
          }
          const entries = diff(outcome.state, snapshot.state);
          const streamTooShort = outcome.reached < version;
          deps.verdicts?.record(
            connectionId,
            { streamId, version, state: snapshot.state },
            outcome.definition,
            !streamTooShort && entries.length === 0,
            'inspect',
          );
          answer = {
            snapshot: shown,
            replay: { state: outcome.state, version: outcome.reached, definition: outcome.definition },
            diff: entries,
            ok: !streamTooShort && entries.length === 0,
            streamTooShort,
            ...(streamTooShort ? { message: `The stream ends at version ${outcome.reached}, before the snapshot's version ${version}.` } : {}),
          };
        });
      } finally {
        await replayer.close();
      }
      return answer!;
    },
    'snapshots.verifyAll': async ({ connectionId, definition, streamPrefix, category, sampleSize }) => {
      const name = await deps.connectionName(connectionId);
      await store(connectionId);
      const scope = [
        streamPrefix !== undefined ? `streams ${streamPrefix}…` : '',
        category !== undefined ? `type ${category}` : '',
        sampleSize !== undefined ? `a sample of ${sampleSize}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      const job = await jobs.start({
        kind: VERIFY_ALL_SNAPSHOTS,
        title: `Verify ${sampleSize !== undefined ? 'snapshots' : 'all snapshots'} of ${name}${scope ? ` (${scope})` : ''}`,
        connectionIds: [connectionId],
        params: {
          connectionId,
          definition,
          ...(streamPrefix !== undefined ? { streamPrefix } : {}),
          ...(category !== undefined ? { category } : {}),
          ...(sampleSize !== undefined ? { sampleSize, sampleSeed: randomInt(0, 2 ** 31) } : {}),
        },
      });
      return { jobId: job.id };
    },
    'snapshots.mapping': async ({ connectionId }) => ({ mapping: await deps.mappings.mapping(connectionId) }),
    'snapshots.configure': async ({ connectionId, mapping }) => ({ mapping, ...(await deps.mappings.configure(connectionId, mapping)) }),
    'snapshots.delete': (input, context) => change(DELETE_SNAPSHOTS, input, context.signal),
    'snapshots.regenerate': (input, context) => change(REGENERATE_SNAPSHOTS, input, context.signal),
  };
}

function view(s: SnapshotView): SnapshotView {
  return { streamId: s.streamId, version: s.version, streamType: s.streamType, takenAt: s.takenAt, sizeBytes: s.sizeBytes, schemaVersion: s.schemaVersion };
}

/** The filter's given criteria only (zod leaves absent keys out, but a renderer may send undefined). */
function definedOnly(filter: SnapshotFilter): SnapshotFilter {
  return Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)) as SnapshotFilter;
}
