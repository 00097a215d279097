import type { AccountEvent } from '../domain/accounts';
import type { PostgresViewSpec } from './postgres-view';

/** Postgres `accounts_view`: one row per account with its balance. */
export interface AccountViewRow {
  account_id: string;
  owner_id: string;
  currency: string;
  balance_cents: number;
  status: 'open' | 'closed';
  version: number;
  updated_at: string;
}

/**
 * The balance is summed from the movements (not copied from the event's
 * balance), so a duplicate application would show: idempotency is really tested.
 */
export function reduceAccountView(
  row: AccountViewRow | undefined,
  raw: { type: string; data: unknown; aggregateId: string; version: number; timestamp: string },
): AccountViewRow | undefined {
  const event = raw as unknown as AccountEvent & typeof raw;
  const touched = { version: raw.version, updated_at: raw.timestamp };
  if (event.type === 'AccountOpened') {
    return { account_id: raw.aggregateId, owner_id: event.data.ownerId, currency: event.data.currency, balance_cents: 0, status: 'open', ...touched };
  }
  if (!row) return undefined;
  switch (event.type) {
    case 'MoneyDeposited':
    case 'TransferReceived':
      return { ...row, balance_cents: row.balance_cents + event.data.amountCents, ...touched };
    case 'MoneyWithdrawn':
    case 'TransferSent':
      return { ...row, balance_cents: row.balance_cents - event.data.amountCents, ...touched };
    case 'AccountClosed':
      return { ...row, status: 'closed', ...touched };
    default:
      return { ...row, ...touched };
  }
}

export const accountsViewSpec: PostgresViewSpec<AccountViewRow> = {
  name: 'accounts_view',
  table: 'accounts_view',
  keyColumn: 'account_id',
  columns: ['account_id', 'owner_id', 'currency', 'balance_cents', 'status', 'version', 'updated_at'],
  aggregateType: 'Account',
  reduce: reduceAccountView,
  fromDb: (r) => ({
    account_id: String(r.account_id),
    owner_id: String(r.owner_id),
    currency: String(r.currency),
    balance_cents: Number(r.balance_cents),
    status: r.status as AccountViewRow['status'],
    version: Number(r.version),
    updated_at: r.updated_at instanceof Date ? r.updated_at.toISOString() : String(r.updated_at),
  }),
};
