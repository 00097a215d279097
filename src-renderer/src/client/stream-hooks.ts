import { useEffect, useState } from 'react';
import { ChronoError } from '../../../src-shared/errors';
import type { InputOf, OperationName, StreamDataOf } from '../../../src-shared/operations';
import { useClient, useLinkState } from './host-context';

const RETRY_AFTER_ERROR_MS = 5000;

export interface StreamState<N extends OperationName> {
  latest: StreamDataOf<N> | undefined;
  error: ChronoError | undefined;
}

/**
 * Subscribes to a streaming operation for as long as the component is mounted
 * and cancels it on unmount. The subscription is renewed after the link comes
 * back and, after a pause, when the stream ends with an error.
 */
export function useStream<N extends OperationName>(op: N, input: InputOf<N>): StreamState<N> {
  const client = useClient();
  const link = useLinkState();
  const [state, setState] = useState<StreamState<N>>({ latest: undefined, error: undefined });
  const [attempt, setAttempt] = useState(0);
  const inputKey = JSON.stringify(input);
  const generation = link.status === 'connected' ? link.generation : 0;

  useEffect(() => {
    // Without a link the last data is no longer true: show nothing rather than a stale "connected".
    if (generation === 0) {
      setState({ latest: undefined, error: undefined });
      return;
    }
    const handle = client.start(op, JSON.parse(inputKey) as InputOf<N>, {
      onData: (data) => setState({ latest: data, error: undefined }),
    });
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let active = true;
    handle.result.then((envelope) => {
      if (!active || envelope.ok || envelope.error.code === 'cancelled') return;
      setState((previous) => ({ ...previous, error: ChronoError.fromPayload(envelope.error) }));
      retryTimer = setTimeout(() => setAttempt((n) => n + 1), RETRY_AFTER_ERROR_MS);
    });
    return () => {
      active = false;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      handle.cancel();
    };
  }, [client, op, inputKey, generation, attempt]);

  return state;
}
