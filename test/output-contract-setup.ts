import { afterEach, expect } from 'vitest';
import { describeMismatch, takeOutputMismatches } from './output-contract';

// A mismatch thrown inside a listener may have been swallowed: the test still fails here.
afterEach(() => {
  expect(takeOutputMismatches().map(describeMismatch)).toEqual([]);
});
