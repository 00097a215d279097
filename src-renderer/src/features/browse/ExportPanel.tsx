import { useEffect, useRef, useState } from 'react';
import { ChronoError } from '../../../../src-shared/errors';
import type { InputOf, ResultOf } from '../../../../src-shared/operations';
import type { CallHandle } from '../../../../src-shared/client';
import { messageOf } from '../../client/errors';
import { useClient } from '../../client/host-context';
import { useRefreshAfter } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { formatBytes } from '../../ui/format';
import { useDismiss } from '../../ui/use-dismiss';
import { Button } from '../../ui/Button';
import { SegmentedField, TextField } from '../../ui/inputs';

type Format = InputOf<'events.export'>['format'];
type Source = InputOf<'events.export'>['source'];

type ExportState =
  | { kind: 'idle' }
  | { kind: 'running'; done: number }
  | { kind: 'done'; result: ResultOf<'events.export'> }
  | { kind: 'cancelled'; done: number }
  | { kind: 'failed'; message: string };

const FORMATS = [
  { value: 'ndjson', label: 'NDJSON', title: 'One JSON event per line' },
  { value: 'csv', label: 'CSV', title: 'Comma-separated, payload and metadata as JSON columns' },
] as const;

/** "Export…": writes the stream or the filtered feed to a file on the host, with progress and cancel. */
export function ExportButton({ connectionId, source, label, note }: { connectionId: string; source: Source; label: string; note?: string | undefined }) {
  const [open, setOpen] = useState(false);
  useDismiss(open, () => setOpen(false));
  return (
    <div className="export">
      <Button size="sm" onClick={() => setOpen(!open)} aria-expanded={open} data-testid="export-toggle">
        Export…
      </Button>
      {open && <ExportPopover connectionId={connectionId} source={source} label={label} note={note} onClose={() => setOpen(false)} />}
    </div>
  );
}

interface PopoverProps {
  connectionId: string;
  source: Source;
  label: string;
  note: string | undefined;
  onClose: () => void;
}

function ExportPopover({ connectionId, source, label, note, onClose }: PopoverProps) {
  const client = useClient();
  const refreshAfter = useRefreshAfter();
  const [format, setFormat] = useState<Format>('ndjson');
  // Data leaves the store: the audit log records why, as typed.
  const [reason, setReason] = useState('');
  const [state, setState] = useState<ExportState>({ kind: 'idle' });
  const handle = useRef<CallHandle<'events.export'> | undefined>(undefined);

  // Closing the popover or leaving the screen stops a running export.
  useEffect(() => () => handle.current?.cancel(), []);

  // The desktop app asks where to save (the system dialog, opened by the main process); browser mode downloads.
  const desktop = window.chronoscope !== undefined;
  const start = () => {
    setState({ kind: 'running', done: 0 });
    let done = 0;
    const input = { connectionId, source, format, reason: reason.trim(), ...(desktop ? { saveAs: true } : {}) };
    const call = client.start('events.export', input as InputOf<'events.export'>, {
      onProgress: (progress) => {
        done = progress.done;
        setState({ kind: 'running', done });
      },
    });
    handle.current = call;
    void call.result.then((envelope) => {
      if (handle.current !== call) return;
      handle.current = undefined;
      if (envelope.ok) setState({ kind: 'done', result: envelope.data });
      else if (envelope.error.code === 'cancelled') setState({ kind: 'cancelled', done });
      else setState({ kind: 'failed', message: messageOf(ChronoError.fromPayload(envelope.error)) });
      void refreshAfter('events.export', { succeeded: envelope.ok });
    });
  };

  return (
    <div className="export__popover" role="dialog" aria-label={`Export ${label}`} data-testid="export-panel">
      <div className="export__head">
        <strong>Export {label}</strong>
        <button type="button" className="export__close" onClick={onClose} aria-label="Close">
          ×
        </button>
      </div>
      {note && <div className="field__hint">{note}</div>}
      <SegmentedField label="Format" value={format} options={FORMATS} onChange={setFormat} testId="export-format" />
      <TextField
        label="Reason"
        hint="Recorded in the audit log with what was exported"
        value={reason}
        placeholder="e.g. ticket 4711, requested by support"
        onChange={setReason}
        testId="export-reason"
      />
      {state.kind === 'running' ? (
        <div className="export__row">
          <span className="export__progress" data-testid="export-progress">
            <span className="btn__spinner" aria-hidden="true" /> {state.done.toLocaleString('en-US')} events written
          </span>
          <Button size="sm" variant="ghost-danger" onClick={() => handle.current?.cancel()} data-testid="export-cancel">
            Cancel
          </Button>
        </div>
      ) : (
        <div className="export__row">
          <Button
            size="sm"
            variant="primary"
            onClick={start}
            disabled={reason.trim() === ''}
            title={reason.trim() === '' ? 'Say why first: the reason is recorded in the audit log' : undefined}
            data-testid="export-start"
          >
            {desktop ? (state.kind === 'idle' ? 'Save as…' : 'Save again…') : state.kind === 'idle' ? 'Start export' : 'Export again'}
          </Button>
        </div>
      )}
      {state.kind === 'done' && (
        <div className="export__result" data-testid="export-result" data-file={state.result.fileName}>
          <span>
            {state.result.events.toLocaleString('en-US')} events, {formatBytes(state.result.bytes)}
          </span>
          {desktop ? (
            <span className="mono export__path" data-testid="export-path" title={state.result.path}>
              {state.result.path}
            </span>
          ) : (
            <a href={`/downloads/${encodeURIComponent(state.result.fileName)}`} download={state.result.fileName} data-testid="export-download">
              Download {state.result.fileName}
            </a>
          )}
        </div>
      )}
      {state.kind === 'cancelled' && (
        <div className="muted" data-testid="export-cancelled">
          {state.done > 0 ? `Cancelled after ${state.done.toLocaleString('en-US')} events; no file was left behind.` : 'Cancelled: nothing was written.'}
        </div>
      )}
      {state.kind === 'failed' && (
        <Alert tone="danger" title="The export failed" testId="export-error">
          {state.message}
        </Alert>
      )}
    </div>
  );
}
