import { describe, expect, it } from 'vitest';
import { raisedBy } from '../../src-main/engine/compliance/update-triggers';

describe('what a trigger function raises, read from its body', () => {
  it('finds an aborting RAISE and its literal message', () => {
    expect(raisedBy(`BEGIN RAISE EXCEPTION 'events are append-only'; END`)).toEqual({ message: 'events are append-only' });
    expect(raisedBy(`BEGIN raise 'it''s frozen'; END`)).toEqual({ message: "it's frozen" });
    expect(raisedBy(`BEGIN RAISE EXCEPTION USING MESSAGE = 'no'; END`)).toEqual({ message: undefined });
  });

  it('ignores RAISE of a level that does not abort, and bodies without one', () => {
    expect(raisedBy(`BEGIN RAISE NOTICE 'updated %', NEW.id; RETURN NEW; END`)).toBeUndefined();
    expect(raisedBy(`BEGIN NEW.updated_at = now(); RETURN NEW; END`)).toBeUndefined();
  });
});
