/* global definition: writable */
/* exported definition */
// Reference Order aggregate: reproduces orderDecider.evolve (src-main/reference/domain/orders.ts).
function withStatus(status) {
  return (state) => Object.assign({}, state, { status: status });
}

definition = {
  name: 'order',
  appliesTo: { categories: ['Order'], types: ['OrderPlaced', 'OrderStatusUpdated', 'OrderShipped', 'OrderDelivered', 'OrderCancelled'] },
  money: { totalCents: { currencyField: 'currency' } },
  init: () => ({ status: 'new', customerId: '', currency: '', totalCents: 0, itemCount: 0 }),
  handlers: {
    OrderPlaced(_state, event) {
      return {
        status: 'placed',
        customerId: event.data.customerId,
        currency: event.data.currency,
        totalCents: event.data.totalCents,
        itemCount: event.data.lines.reduce((n, l) => n + l.quantity, 0),
      };
    },
    OrderStatusUpdated(state, event) {
      return Object.assign({}, state, { status: event.data.status });
    },
    OrderShipped: withStatus('shipped'),
    OrderDelivered: withStatus('delivered'),
    OrderCancelled: withStatus('cancelled'),
  },
};
