import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { z } from 'zod';
import type { rebuildRecordView } from '../../../../src-shared/schemas/rebuild';
import { useMutationOp } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { KeyValueList } from '../../ui/KeyValue';
import { Panel } from '../../ui/Panel';
import { TextField } from '../../ui/inputs';
import { useJobsOf } from '../jobs/use-jobs';
import { ReadOnlyNotice, REASON_FIRST } from '../connections/ReadOnlyNotice';
import { RebuildDiffView } from './RebuildDiffView';
import { RebuildRateChart, type RateSample } from './RebuildRateChart';

type Rebuild = z.infer<typeof rebuildRecordView>;

type FeedingProjector = { name: string; source: string; reason: string } | null;

/** Where a rebuild is once its job's summary ("read the diff, then swap") no longer holds. */
const AFTER_LOAD: Partial<Record<Rebuild['phase'], string>> = {
  swapped: 'swapped in: the rebuilt table is the live model',
  rolled_back: 'rolled back: the old model is live again',
  discarded: 'discarded: the shadow was dropped',
};

export function RebuildDetail({
  connectionId,
  rebuild,
  collection,
  checkpoints,
  feedingProjector,
}: {
  connectionId: string;
  rebuild: Rebuild;
  collection: boolean;
  checkpoints: { name: string; source: string; position: string }[];
  feedingProjector: FeedingProjector;
}) {
  const job = useJobsOf('rebuilds.run', (j) => j.params.rebuildId === rebuild.id)?.[0];
  const [samples, setSamples] = useState<RateSample[]>([]);
  const lastMessage = useRef<string | undefined>(undefined);
  const rate = job?.progress.eventsPerSecond;
  useEffect(() => {
    const message = job?.progress.message;
    if (!message || message === lastMessage.current) return;
    lastMessage.current = message;
    if (rate !== undefined) setSamples((s) => [...s.slice(-59), { at: Date.now(), eventsPerSecond: rate }]);
  }, [job?.progress.message, rate]);

  // The projector that feeds this model (never merely the first checkpoint), or none with a warning.
  const feedingKey = feedingProjector ? `${feedingProjector.name}|${feedingProjector.source}` : '';
  const [projector, setProjector] = useState(feedingKey);
  // Known once the rebuild is ready to swap (a user definition's declared projector): the default follows it.
  useEffect(() => setProjector(feedingKey), [feedingKey]);
  const [reason, setReason] = useState('');
  const projectorInput = projector ? { projector: { name: projector.split('|')[0]!, source: projector.split('|')[1]! } } : {};
  const swap = useMutationOp('rebuilds.swap');
  const resume = useMutationOp('rebuilds.resume');
  // A load whose job ended (cancelled, failed) or is gone: a new job goes on from the last committed batch.
  const resumable = rebuild.phase === 'loading' && (!job || job.state === 'cancelled' || job.state === 'failed');
  // A failure that would recur the same way (refused rows, a definition error): its message says what to fix, not "resume".
  const recurring = job?.state === 'failed' && job.retryable === false;
  const rollback = useMutationOp('rebuilds.rollback');
  const drop = useMutationOp('rebuilds.drop');
  // A plan on screen is for the input it was made from: any change of input discards it (and its confirm button).
  const { reset: resetSwap } = swap;
  const { reset: resetRollback } = rollback;
  const { reset: resetDrop } = drop;
  useEffect(() => {
    resetSwap();
    resetRollback();
    resetDrop();
    // The reason is not part of a plan (a confirmation is not bound to it): typing one keeps the plan.
  }, [projector, resetSwap, resetRollback, resetDrop]);
  const why = reason.trim() ? { reason: reason.trim() } : {};
  const needsReason = reason.trim() === '';
  const percent = job?.progress.total ? Math.min(100, Math.round((job.progress.done / job.progress.total) * 100)) : rebuild.phase === 'loading' ? 0 : 100;

  return (
    <Panel title={`Rebuild ${rebuild.id} of ${rebuild.model}`} testId="rebuild-detail">
      <KeyValueList
        testId="rebuild-facts"
        items={[
          ['Phase', <span data-testid="rebuild-phase">{rebuild.phase.replace('_', ' ')}</span>],
          ['Definition', rebuild.definition],
          [
            rebuild.phase === 'rolled_back' ? 'Rebuilt rows kept in' : 'Shadow',
            <span className="mono">
              {rebuild.phase === 'rolled_back' && !rebuild.leftover && /__after_/.test(rebuild.shadow) ? 'dropped' : rebuild.shadow}
            </span>,
          ],
          ['Position', `${rebuild.position} of ${rebuild.horizon ?? '?'} (${rebuild.events.toLocaleString('en-US')} events folded)`],
          ...(rebuild.beforeTable && rebuild.phase !== 'rolled_back'
            ? ([['Old model kept as', <span className="mono">{rebuild.beforeTable}</span>]] as [string, ReactNode][])
            : []),
        ]}
      />
      {job && (
        <div className="rebuilds__progress" data-testid="rebuild-progress">
          <div className="rebuilds__bar">
            <div style={{ width: `${percent}%` }} />
          </div>
          <span>
            {job.state} · {percent}%{' '}
            {AFTER_LOAD[rebuild.phase]
              ? `· ${AFTER_LOAD[rebuild.phase]}`
              : job.summary
                ? `· ${job.summary}`
                : job.progress.message
                  ? `· ${job.progress.message}`
                  : ''}
          </span>
          <RebuildRateChart samples={samples} />
          {job.error && (
            <Alert tone="danger" title="The rebuild stopped">
              {job.error}
            </Alert>
          )}
        </div>
      )}
      {resumable && !recurring && (
        <div className="rebuilds__swap">
          <Button onClick={() => resume.mutate({ connectionId, rebuildId: rebuild.id, ...why })} busy={resume.isPending} data-testid="rebuild-resume">
            Resume from position {rebuild.position}
          </Button>
        </div>
      )}
      {(rebuild.phase === 'indexed' || rebuild.phase === 'swapped') && (
        <ReadOnlyNotice connectionId={connectionId} op={rebuild.phase === 'indexed' ? 'rebuilds.swap' : 'rebuilds.rollback'} />
      )}
      {rebuild.phase === 'indexed' && (
        <>
          <RebuildDiffView connectionId={connectionId} rebuildId={rebuild.id} />
          <div className="rebuilds__swap">
            <label>
              Projector feeding {rebuild.model}{' '}
              <select value={projector} onChange={(e) => setProjector(e.target.value)} data-testid="rebuild-projector">
                <option value="">none (swap at the head)</option>
                {checkpoints.map((c) => (
                  <option key={`${c.name}|${c.source}`} value={`${c.name}|${c.source}`}>
                    {c.name} ({c.source}) at {c.position}
                  </option>
                ))}
              </select>
            </label>
            {feedingProjector && projector === `${feedingProjector.name}|${feedingProjector.source}` && (
              <p className="muted" data-testid="rebuild-projector-why">
                {feedingProjector.name} feeds {rebuild.model}: {feedingProjector.reason}.
              </p>
            )}
            {!feedingProjector && (
              <Alert tone="warning" title={`No projector appears to feed ${rebuild.model}`} testId="rebuild-projector-none">
                No checkpoint is declared by the definition or named after {rebuild.model}, so none is chosen: the swap happens at the head. If a projector
                keeps {rebuild.model}, choose it, or the projector and the swapped-in model will disagree about which events are in it.
              </Alert>
            )}
            <TextField label="Reason" rows={1} value={reason} onChange={setReason} testId="rebuild-swap-reason" />
            {!swap.data?.confirmation || swap.data.dryRun === false ? (
              <Button
                onClick={() => swap.mutate({ connectionId, rebuildId: rebuild.id, ...projectorInput, dryRun: true })}
                busy={swap.isPending}
                data-testid="rebuild-swap-dry"
              >
                Swap… (dry run)
              </Button>
            ) : (
              <>
                <p data-testid="rebuild-swap-plan">
                  The swap folds events {swap.data.catchUpFrom}–{swap.data.position} into the shadow, renames <span className="mono">{swap.data.model}</span> to{' '}
                  <span className="mono">{swap.data.beforeTable}</span> and the shadow to <span className="mono">{swap.data.model}</span>
                  {swap.data.risk ? ', one rename after the other.' : ', in one transaction.'}
                </p>
                {swap.data.warning && (
                  <Alert tone="warning" title="Is this the right projector?" testId="rebuild-swap-warning">
                    {swap.data.warning}
                  </Alert>
                )}
                {swap.data.risk && (
                  <Alert tone="warning" title="Not atomic on MongoDB" testId="rebuild-swap-risk">
                    {swap.data.risk}
                  </Alert>
                )}
                <Button
                  variant="danger"
                  busy={swap.isPending}
                  disabled={needsReason}
                  title={needsReason ? REASON_FIRST : undefined}
                  onClick={() => swap.mutate({ connectionId, rebuildId: rebuild.id, ...projectorInput, confirmation: swap.data!.confirmation!, ...why })}
                  data-testid="rebuild-swap-confirm"
                >
                  Swap now
                </Button>
              </>
            )}
          </div>
        </>
      )}
      {rebuild.phase === 'swapped' && swap.data && !swap.data.dryRun && (
        <Alert tone="success" title="Swapped" testId="rebuild-swap-done">
          <span className="mono">{swap.data.model}</span> is now the rebuilt {collection ? 'collection' : 'table'}; the old one is kept as{' '}
          <span className="mono">{swap.data.beforeTable}</span> until you drop it.
        </Alert>
      )}
      {rebuild.phase === 'rolled_back' && rollback.data && !rollback.data.dryRun && (
        <Alert tone="success" title="Rolled back" testId="rebuild-rollback-done">
          <span className="mono">{rollback.data.restored}</span> is back as <span className="mono">{rollback.data.model}</span>; the rebuilt rows are kept as{' '}
          <span className="mono">{rollback.data.rebuiltKeptAs}</span>.
        </Alert>
      )}
      {drop.data && !drop.data.dryRun && drop.data.dropped && (
        <Alert tone="success" title="Dropped" testId="rebuild-drop-done">
          <span className="mono">{drop.data.table}</span> was dropped.
        </Alert>
      )}
      {rebuild.phase === 'swapped' && (
        <div className="rebuilds__swap">
          {swap.data && !swap.data.dryRun && swap.data.windowMs !== undefined && (
            <p data-testid="rebuild-swap-window">
              {collection ? 'Collection' : 'Table'} <span className="mono">{swap.data.model}</span> was missing for{' '}
              {swap.data.windowMs.toLocaleString('en-US', { maximumFractionDigits: 1 })} ms between the two renames.
            </p>
          )}
          <TextField label="Reason" rows={1} value={reason} onChange={setReason} testId="rebuild-rollback-reason" />
          {!rollback.data?.confirmation || rollback.data.dryRun === false ? (
            <Button onClick={() => rollback.mutate({ connectionId, rebuildId: rebuild.id, dryRun: true })} data-testid="rebuild-rollback-dry">
              Roll back… (dry run)
            </Button>
          ) : (
            <Button
              variant="danger"
              disabled={needsReason}
              title={needsReason ? REASON_FIRST : undefined}
              onClick={() => rollback.mutate({ connectionId, rebuildId: rebuild.id, confirmation: rollback.data!.confirmation!, ...why })}
              data-testid="rebuild-rollback-confirm"
            >
              Put {rollback.data.restored} back as {rollback.data.model}
            </Button>
          )}
          {rebuild.beforeTable && (
            <Button
              variant="ghost"
              disabled={!!(drop.data?.confirmation && drop.data.dryRun) && needsReason}
              title={drop.data?.confirmation && drop.data.dryRun && needsReason ? REASON_FIRST : undefined}
              onClick={() =>
                drop.data?.confirmation && drop.data.dryRun
                  ? drop.mutate({ connectionId, rebuildId: rebuild.id, what: 'before', confirmation: drop.data.confirmation, ...why })
                  : drop.mutate({ connectionId, rebuildId: rebuild.id, what: 'before', dryRun: true })
              }
              data-testid="rebuild-drop-before"
            >
              {drop.data?.confirmation && drop.data.dryRun ? `Confirm: drop ${drop.data.table} for good` : 'Drop the old model…'}
            </Button>
          )}
        </div>
      )}
      {[swap.error, rollback.error, drop.error, resume.error].filter(Boolean).map((e) => (
        <Alert key={e!.message} tone="danger" title="Refused">
          {e!.message}
        </Alert>
      ))}
    </Panel>
  );
}
