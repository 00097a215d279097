import { describe, expect, it } from 'vitest';
import { composeHandlers as composeChecked, type HandlerGroup } from '../../src-main/engine/handlers';

/** The run-time check alone: the type already refuses these calls. */
const composeHandlers = composeChecked as (...groups: HandlerGroup[]) => Record<string, unknown>;

describe('composeHandlers', () => {
  it("joins the capabilities' groups into one table", () => {
    const info: HandlerGroup = { 'app.info': async () => ({}) as never };
    const verify: HandlerGroup = { 'audit.verify': async () => ({}) as never };
    const table = composeHandlers(info, verify);
    expect(Object.keys(table).sort()).toEqual(['app.info', 'audit.verify']);
  });

  it('refuses an operation handled by two capabilities', () => {
    const one: HandlerGroup = { 'audit.verify': async () => ({}) as never };
    const two: HandlerGroup = { 'audit.verify': async () => ({}) as never };
    expect(() => composeHandlers(one, two)).toThrow('Operation "audit.verify" has two handlers.');
  });
});
