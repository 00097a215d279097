import { useState } from 'react';

/**
 * A value being edited (text typed before it is submitted) that starts from `value` and starts
 * again from it whenever `value` changes: when the address names other points (Back, a link),
 * the field shows them rather than what was typed for the old ones.
 */
export function useDraft<T>(value: T): [T, (next: T) => void] {
  const [state, setState] = useState({ source: value, draft: value });
  let current = state;
  if (!Object.is(state.source, value)) {
    current = { source: value, draft: value };
    setState(current);
  }
  return [current.draft, (draft: T) => setState((previous) => ({ ...previous, draft }))];
}
