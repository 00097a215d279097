/**
 * What the snapshot-management tests share: seeding reference accounts (so their
 * snapshots get taken) and waiting for a job of the engine to settle.
 */
import type { JobView } from '../../../src-shared/schemas/jobs';
import type { Engine } from '../../../src-main/engine/engine';
import { CommandHandler } from '../../../src-main/reference/commands/handlers';
import { DomainRuleViolation } from '../../../src-main/reference/errors';
import type { CommandEventStore } from '../../../src-main/reference/store';

/** Opens each account and runs `moves` deposits and withdrawals on it, a snapshot every 10 versions; refused withdrawals are skipped. */
export async function seedAccounts(store: CommandEventStore, accounts: readonly string[], moves: number): Promise<void> {
  const handler = new CommandHandler({ storeFor: () => store, snapshotEvery: 10 });
  for (const id of accounts) {
    await handler.execute('Account', id, { type: 'OpenAccount', ownerId: `owner-${id}`, currency: 'EUR' });
    for (let i = 0; i < moves; i++) {
      try {
        await handler.execute('Account', id, i % 3 === 2 ? { type: 'WithdrawMoney', amountCents: 70 } : { type: 'DepositMoney', amountCents: 100 + i });
      } catch (err) {
        if (!(err instanceof DomainRuleViolation)) throw err;
      }
    }
  }
}

/** Resolves with the job once it is done, failed, cancelled or paused (at once if it already is). */
export function jobSettled(engine: Engine, jobId: string): Promise<JobView> {
  return new Promise<JobView>((resolve) => {
    const check = (job: JobView) => {
      if (job.id === jobId && ['done', 'failed', 'cancelled', 'paused'].includes(job.state)) {
        unsubscribe();
        resolve(job);
      }
    };
    const unsubscribe = engine.jobs.subscribe(check);
    void engine.jobs.get(jobId).then(check);
  });
}
