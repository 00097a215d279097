import { useEffect, useState } from 'react';
import { useLink, useLinkState } from '../client/host-context';
import { Button } from '../ui/Button';

/** Tells the operator when the window has lost its host, and when it will try again (or why it will not). */
export function LinkBanner() {
  const link = useLink();
  const state = useLinkState();
  useRerenderEverySecond(state.status === 'reconnecting');
  const slowStart = useAfterDelay(state.status === 'connecting', 500);

  if (state.status === 'connected') return null;
  if (state.status === 'connecting') {
    if (!slowStart) return null; // a normal start takes milliseconds; do not flash a banner
    return (
      <div className="link-banner link-banner--connecting" role="status" data-testid="link-banner" data-state="connecting">
        Connecting to Chronoscope…
      </div>
    );
  }
  if (state.status === 'refused') return <RefusedBanner everConnected={state.everConnected} checking={state.checking} onRetry={() => link.retryNow()} />;
  const seconds = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000));
  return (
    <div className="link-banner link-banner--down" role="alert" data-testid="link-banner" data-state="reconnecting">
      <strong>{state.everConnected ? 'Disconnected from Chronoscope.' : 'Cannot reach Chronoscope.'}</strong>
      <span>
        The server is not reachable (stopped, or still starting). {seconds > 0 ? `Reconnecting in ${seconds} s` : 'Reconnecting…'} (attempt {state.attempt}).
      </span>
      <Button size="sm" onClick={() => link.retryNow()}>
        Retry now
      </Button>
    </div>
  );
}

/**
 * The server answers but refuses this tab's token: it restarted with a new one (or the page came without it).
 * Nothing is retried by itself; the operator opens the new URL, then retries here or simply uses the new tab.
 */
function RefusedBanner({ everConnected, checking, onRetry }: { everConnected: boolean; checking: boolean; onRetry: () => void }) {
  return (
    <div className="link-banner link-banner--down" role="alert" data-testid="link-banner" data-state="refused">
      <strong>{everConnected ? 'The Chronoscope server restarted.' : 'Chronoscope refused this page.'}</strong>
      <span>
        {everConnected ? 'It no longer accepts this tab’s token, so reconnecting has stopped.' : 'This page’s token is not (or no longer) accepted.'} Open the
        new URL printed in the server’s terminal (the <code>Open:</code> line), in this tab or another, then retry here. To keep one token across restarts,
        start it with <code>--token-file</code> or <code>CHRONOSCOPE_TOKEN</code>.
      </span>
      <Button size="sm" disabled={checking} onClick={onRetry}>
        {checking ? 'Checking…' : 'Retry'}
      </Button>
    </div>
  );
}

function useAfterDelay(active: boolean, delayMs: number): boolean {
  const [elapsed, setElapsed] = useState(false);
  useEffect(() => {
    setElapsed(false);
    if (!active) return;
    const timer = setTimeout(() => setElapsed(true), delayMs);
    return () => clearTimeout(timer);
  }, [active, delayMs]);
  return elapsed;
}

/** Keeps the countdown moving. */
function useRerenderEverySecond(running: boolean): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setTick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, [running]);
}
