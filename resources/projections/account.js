/* global definition: writable */
/* exported definition */
// Reference Account aggregate: reproduces accountDecider.evolve (src-main/reference/domain/accounts.ts).
function balance(state, event) {
  return Object.assign({}, state, { balanceCents: event.data.balanceCents });
}

definition = {
  name: 'account',
  appliesTo: { categories: ['Account'], types: ['AccountOpened', 'MoneyDeposited', 'MoneyWithdrawn', 'TransferSent', 'TransferReceived', 'AccountClosed'] },
  money: { balanceCents: { currencyField: 'currency' } },
  init: () => ({ status: 'new', ownerId: '', currency: '', balanceCents: 0 }),
  handlers: {
    AccountOpened(_state, event) {
      return { status: 'open', ownerId: event.data.ownerId, currency: event.data.currency, balanceCents: 0 };
    },
    MoneyDeposited: balance,
    MoneyWithdrawn: balance,
    TransferSent: balance,
    TransferReceived: balance,
    AccountClosed(state) {
      return Object.assign({}, state, { status: 'closed' });
    },
  },
};
