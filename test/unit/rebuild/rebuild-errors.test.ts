import { describe, expect, it } from 'vitest';
import { ChronoError } from '../../../src-shared/errors';
import { DefinitionFailure } from '../../../src-main/engine/rebuild/read-model';
import { explainRebuildFailure, RowWriteFailure } from '../../../src-main/engine/rebuild/rebuild-errors';

/** The fields node-postgres puts on a DatabaseError. */
const pgError = (code: string, message: string, fields: Record<string, string> = {}) =>
  Object.assign(new Error(message), { code, severity: 'ERROR', ...fields });

describe('what a failed rebuild says', () => {
  it('names the table and the definition for a permission error, and says to grant rather than resume', () => {
    const err = explainRebuildFailure(
      new RowWriteFailure(pgError('42501', 'permission denied for table orders_view__shadow_ab12'), 'orders_view__shadow_ab12', [], {}),
      'user:orders',
    );
    expect(err).toBeInstanceOf(ChronoError);
    expect((err as ChronoError).message).toMatch(
      /^The connection's user may not write orders_view \(or its shadow orders_view__shadow_ab12\).*Grant it INSERT, UPDATE and DELETE/,
    );
    expect((err as ChronoError).details).toMatchObject({ retryable: false });
  });

  it('advises a resume for a deadlock or a lost connection, which a second run can get past', () => {
    const deadlock = explainRebuildFailure(
      new RowWriteFailure(pgError('40P01', 'deadlock detected'), 'accounts_view__shadow_1', [], {}),
      'builtin:accounts_view',
    ) as ChronoError;
    expect(deadlock.details).toMatchObject({ retryable: true });
    expect(deadlock.message).toMatch(/Resume the rebuild to go on from its last committed batch\.$/);
    const reset = explainRebuildFailure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'builtin:accounts_view') as ChronoError;
    expect(reset.details).toMatchObject({ retryable: true });
  });

  it("marks a definition's own error as not retryable", () => {
    const failure = new DefinitionFailure('user:x', { streamId: 's', version: 2, type: 'T', position: '9' }, 'TypeError: boom');
    const err = explainRebuildFailure(failure, 'user:x') as ChronoError;
    expect(err.code).toBe('definition_error');
    expect(err.details).toMatchObject({ retryable: false });
  });

  it('names the column of an out-of-range number from the rows written and the column types', () => {
    const rows = [
      { id: 'a', small: 1, big: 5 },
      { id: 'b', small: 70000, big: 6 },
    ];
    const err = explainRebuildFailure(
      new RowWriteFailure(pgError('22003', 'value "70000" is out of range for type smallint'), 't__shadow_1', rows, {
        id: 'text',
        small: 'smallint',
        big: 'bigint',
      }),
      'd',
    ) as ChronoError;
    expect(err.message).toMatch(/^Definition d wrote a value PostgreSQL cannot store in column small \(smallint\) of t/);
  });
});
