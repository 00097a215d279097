import { useEffect, useState } from 'react';
import type { JobView } from '../../../../src-shared/schemas/jobs';
import { messageOf } from '../../client/errors';
import { useMutationOp } from '../../client/operation-hooks';
import { Button } from '../../ui/Button';
import { useDismiss } from '../../ui/use-dismiss';
import { isActive, useJobs } from './use-jobs';
import './jobs.css';

const STATE_LABELS: Record<JobView['state'], string> = {
  queued: 'Queued',
  running: 'Running',
  paused: 'Paused',
  failed: 'Failed',
  done: 'Done',
  cancelled: 'Cancelled',
};

/** The header's jobs button (with the count of running jobs) and the panel it opens, on every screen. */
export function JobsTray() {
  const jobs = useJobs();
  const [open, setOpen] = useState(false);
  useDismiss(open, () => setOpen(false));
  // Going to another screen closes the tray: it belongs to no screen.
  useEffect(() => {
    if (!open) return;
    const close = () => setOpen(false);
    window.addEventListener('hashchange', close);
    return () => window.removeEventListener('hashchange', close);
  }, [open]);
  const active = jobs?.filter(isActive).length ?? 0;
  const waiting = jobs?.filter((j) => j.state === 'paused').length ?? 0;
  return (
    <div className="jobs-tray">
      <button
        type="button"
        className={`jobs-tray__button ${active > 0 ? 'jobs-tray__button--busy' : ''}`}
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        data-testid="jobs-tray-button"
        title="Long work the engine runs: it goes on when this window closes"
      >
        Jobs
        {active > 0 && (
          <span className="jobs-tray__count" data-testid="jobs-tray-count">
            {active}
          </span>
        )}
        {active === 0 && waiting > 0 && <span className="jobs-tray__count jobs-tray__count--paused">{waiting} paused</span>}
      </button>
      {open && (
        <div className="jobs-tray__panel" role="dialog" aria-label="Jobs" data-testid="jobs-tray-panel">
          <div className="jobs-tray__heading">
            <strong>Jobs</strong>
            <button type="button" className="json-tree__action" onClick={() => setOpen(false)}>
              Close
            </button>
          </div>
          {!jobs && <div className="jobs-tray__empty">Connecting…</div>}
          {jobs && jobs.length === 0 && (
            <div className="jobs-tray__empty">No jobs yet. Long work such as verifying every snapshot runs here, and keeps running if this window closes.</div>
          )}
          <ul className="jobs-tray__list">
            {jobs?.map((job) => (
              <JobRow key={job.id} job={job} />
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

function JobRow({ job }: { job: JobView }) {
  const cancel = useMutationOp('jobs.cancel');
  const resume = useMutationOp('jobs.resume');
  const { done, total, message } = job.progress;
  const percent = total ? Math.min(100, Math.round((done / total) * 100)) : undefined;
  const error = cancel.error ?? resume.error;
  return (
    <li className="jobs-tray__job" data-testid="job-row" data-state={job.state}>
      <div className="jobs-tray__job-head">
        <span className="jobs-tray__title">{job.title}</span>
        <span className={`jobs-tray__state jobs-tray__state--${job.state}`}>{STATE_LABELS[job.state]}</span>
      </div>
      <div className="jobs-tray__bar" role="progressbar" aria-valuemin={0} aria-valuemax={total ?? 0} aria-valuenow={done}>
        <div className="jobs-tray__fill" style={{ width: `${percent ?? (job.state === 'done' ? 100 : 0)}%` }} />
      </div>
      <div className="jobs-tray__meta">
        {total !== undefined ? `${done} of ${total}` : `${done} done`}
        {message && job.state === 'running' && <span className="mono"> · {message}</span>}
      </div>
      {job.summary && (
        <div className="jobs-tray__summary" data-testid="job-summary">
          {job.summary}
        </div>
      )}
      {job.error && <div className="jobs-tray__error">{job.error}</div>}
      {error && <div className="jobs-tray__error">{messageOf(error)}</div>}
      <div className="jobs-tray__actions">
        {(isActive(job) || job.state === 'paused') && (
          <Button size="sm" variant="ghost-danger" busy={cancel.isPending} onClick={() => cancel.mutate({ id: job.id })}>
            Cancel
          </Button>
        )}
        {(job.state === 'paused' || job.state === 'failed') && (
          <Button size="sm" busy={resume.isPending} onClick={() => resume.mutate({ id: job.id })}>
            Resume
          </Button>
        )}
      </div>
    </li>
  );
}
