import { useCallback, useEffect, useRef, useState } from 'react';
import { ChronoError } from '../../../../src-shared/errors';
import type { ResultOf } from '../../../../src-shared/operations';
import type { Progress } from '../../../../src-shared/wire';
import { useClient } from '../../client/host-context';

export type Target = { version: number } | { time: string };
export type StateResult = ResultOf<'timeTravel.state'>;

/** The progress bar appears only for replays that take longer than this. */
const PROGRESS_DELAY_MS = 300;

export interface Replay {
  data: StateResult | undefined;
  /** The target `data` answers: while a new target replays, `data` still answers the previous one. */
  answered: Target | undefined;
  error: ChronoError | undefined;
  pending: boolean;
  /** Set once a replay has run for PROGRESS_DELAY_MS. */
  progress: Progress | undefined;
  showProgress: boolean;
  cancelled: boolean;
  cancel(): void;
  retry(): void;
  /** Forgets the remembered results and replays again (a snapshot was found wrong meanwhile). */
  refresh(): void;
}

/** `revision` (of the user definitions) is part of the key: a saved definition file replays again. */
const keyOf = (connectionId: string, streamId: string, definition: string, revision: number, useSnapshot: boolean, target: Target) =>
  JSON.stringify([connectionId, streamId, definition, revision, useSnapshot, target]);

/**
 * `timeTravel.state` for one target, with its progress events and a way to
 * cancel. A new target cancels the replay still running for the old one;
 * results are remembered, so sliding back is instant.
 */
export function useReplay(
  connectionId: string,
  streamId: string,
  definition: string,
  revision: number,
  target: Target | undefined,
  useSnapshot = true,
): Replay {
  const client = useClient();
  const cache = useRef(new Map<string, StateResult>());
  const controller = useRef<AbortController | undefined>(undefined);
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<Omit<Replay, 'cancel' | 'retry' | 'refresh'>>({
    data: undefined,
    answered: undefined,
    error: undefined,
    pending: false,
    progress: undefined,
    showProgress: false,
    cancelled: false,
  });
  const key = target ? keyOf(connectionId, streamId, definition, revision, useSnapshot, target) : undefined;

  useEffect(() => {
    if (!key || !target) return;
    const cached = cache.current.get(key);
    if (cached) {
      setState({ data: cached, answered: target, error: undefined, pending: false, progress: undefined, showProgress: false, cancelled: false });
      return;
    }
    const abort = new AbortController();
    controller.current = abort;
    let active = true;
    setState((previous) => ({ ...previous, error: undefined, pending: true, progress: undefined, showProgress: false, cancelled: false }));
    const timer = setTimeout(() => {
      if (active) setState((previous) => ({ ...previous, showProgress: true }));
    }, PROGRESS_DELAY_MS);
    client
      .call(
        'timeTravel.state',
        { connectionId, streamId, target, definition, useSnapshot },
        {
          signal: abort.signal,
          onProgress: (progress) => {
            if (active) setState((previous) => ({ ...previous, progress }));
          },
        },
      )
      .then((data) => {
        cache.current.set(key, data);
        // An instant resolves to a version: remember it under that version too.
        cache.current.set(keyOf(connectionId, streamId, definition, revision, useSnapshot, { version: data.version }), data);
        if (active) setState({ data, answered: target, error: undefined, pending: false, progress: undefined, showProgress: false, cancelled: false });
      })
      .catch((error: unknown) => {
        if (!active) return;
        const chrono = error instanceof ChronoError ? error : new ChronoError('internal', String(error));
        const cancelled = chrono.code === 'cancelled';
        setState((previous) => ({ ...previous, error: cancelled ? undefined : chrono, pending: false, progress: undefined, showProgress: false, cancelled }));
      })
      .finally(() => clearTimeout(timer));
    return () => {
      active = false;
      clearTimeout(timer);
      abort.abort();
    };
    // `target`, `definition`, `revision` and `useSnapshot` are represented by `key`.
  }, [client, key, attempt]);

  const cancel = useCallback(() => controller.current?.abort(), []);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  const refresh = useCallback(() => {
    cache.current.clear();
    setAttempt((n) => n + 1);
  }, []);
  return { ...state, cancel, retry, refresh };
}
