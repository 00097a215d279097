/**
 * What the snapshot-management tests share: seeding reference accounts, so that
 * their snapshots get taken.
 */
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
