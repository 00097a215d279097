import { type Decider, type EventDraft, nonEmpty, positiveInteger, rule } from './decider';

/** Amounts are integer minor units (cents): no floating-point money. */
export type AccountCommand =
  | { type: 'OpenAccount'; ownerId: string; currency: string }
  | { type: 'DepositMoney'; amountCents: number }
  | { type: 'WithdrawMoney'; amountCents: number }
  | { type: 'SendTransfer'; transferId: string; toAccountId: string; amountCents: number }
  | { type: 'ReceiveTransfer'; transferId: string; fromAccountId: string; amountCents: number }
  | { type: 'CloseAccount'; reason: string };

export type AccountEvent =
  | EventDraft<'AccountOpened', { ownerId: string; currency: string }>
  | EventDraft<'MoneyDeposited', { amountCents: number; balanceCents: number }>
  | EventDraft<'MoneyWithdrawn', { amountCents: number; balanceCents: number }>
  | EventDraft<'TransferSent', { transferId: string; toAccountId: string; amountCents: number; balanceCents: number }>
  | EventDraft<'TransferReceived', { transferId: string; fromAccountId: string; amountCents: number; balanceCents: number }>
  | EventDraft<'AccountClosed', { reason: string }>;

export interface AccountState {
  status: 'new' | 'open' | 'closed';
  ownerId: string;
  currency: string;
  balanceCents: number;
}

function mustBeOpen(state: AccountState): void {
  rule(state.status !== 'new', 'not_found', 'The account does not exist');
  rule(state.status === 'open', 'account_closed', 'The account is closed');
}

function mustCover(state: AccountState, amountCents: number): void {
  rule(amountCents <= state.balanceCents, 'insufficient_funds', `The balance never goes negative: ${amountCents} requested, ${state.balanceCents} available`);
}

export const accountDecider: Decider<AccountCommand, AccountEvent, AccountState> = {
  aggregateType: 'Account',
  initialState: () => ({ status: 'new', ownerId: '', currency: '', balanceCents: 0 }),

  decide(command, state) {
    switch (command.type) {
      case 'OpenAccount':
        rule(state.status === 'new', 'already_exists', 'The account already exists');
        nonEmpty(command.ownerId, 'ownerId');
        rule(/^[A-Z]{3}$/.test(command.currency), 'invalid_currency', `currency must be an ISO 4217 code (got ${command.currency})`);
        return [{ type: 'AccountOpened', data: { ownerId: command.ownerId, currency: command.currency } }];
      case 'DepositMoney':
        mustBeOpen(state);
        positiveInteger(command.amountCents, 'amountCents');
        return [{ type: 'MoneyDeposited', data: { amountCents: command.amountCents, balanceCents: state.balanceCents + command.amountCents } }];
      case 'WithdrawMoney':
        mustBeOpen(state);
        positiveInteger(command.amountCents, 'amountCents');
        mustCover(state, command.amountCents);
        return [{ type: 'MoneyWithdrawn', data: { amountCents: command.amountCents, balanceCents: state.balanceCents - command.amountCents } }];
      case 'SendTransfer':
        mustBeOpen(state);
        positiveInteger(command.amountCents, 'amountCents');
        nonEmpty(command.toAccountId, 'toAccountId');
        mustCover(state, command.amountCents);
        return [
          {
            type: 'TransferSent',
            data: {
              transferId: command.transferId,
              toAccountId: command.toAccountId,
              amountCents: command.amountCents,
              balanceCents: state.balanceCents - command.amountCents,
            },
          },
        ];
      case 'ReceiveTransfer':
        mustBeOpen(state);
        positiveInteger(command.amountCents, 'amountCents');
        return [
          {
            type: 'TransferReceived',
            data: {
              transferId: command.transferId,
              fromAccountId: command.fromAccountId,
              amountCents: command.amountCents,
              balanceCents: state.balanceCents + command.amountCents,
            },
          },
        ];
      case 'CloseAccount':
        mustBeOpen(state);
        rule(state.balanceCents === 0, 'balance_not_zero', `Withdraw the remaining ${state.balanceCents} before closing`);
        return [{ type: 'AccountClosed', data: { reason: command.reason } }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'AccountOpened':
        return { status: 'open', ownerId: event.data.ownerId, currency: event.data.currency, balanceCents: 0 };
      case 'MoneyDeposited':
      case 'MoneyWithdrawn':
      case 'TransferSent':
      case 'TransferReceived':
        return { ...state, balanceCents: event.data.balanceCents };
      case 'AccountClosed':
        return { ...state, status: 'closed' };
      default:
        return state;
    }
  },
};
