import { useEffect, useState } from 'react';
import { useLink, useLinkState } from '../client/host-context';
import { Button } from '../ui/Button';

/** Tells the operator when the window has lost its host, and when it will try again. */
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
  const seconds = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000));
  return (
    <div className="link-banner link-banner--down" role="alert" data-testid="link-banner" data-state="reconnecting">
      <strong>{state.everConnected ? 'Disconnected from Chronoscope.' : 'Cannot reach Chronoscope.'}</strong>
      <span>
        {seconds > 0 ? `Reconnecting in ${seconds} s` : 'Reconnecting…'} (attempt {state.attempt}).
        {!state.everConnected && ' If this page was opened without its token, open the URL printed by `bun run serve` again.'}
      </span>
      <Button size="sm" onClick={() => link.retryNow()}>
        Retry now
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
