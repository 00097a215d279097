/* global definition: writable */
/* exported definition */
// Reference Product aggregate: reproduces productDecider.evolve (src-main/reference/domain/products.ts).
definition = {
  name: 'product',
  appliesTo: { categories: ['Product'], types: ['ProductCreated', 'ProductRenamed', 'PriceChanged', 'StockAdjusted', 'ProductDiscontinued'] },
  money: { priceCents: {} },
  init: () => ({ status: 'new', name: '', sku: '', priceCents: 0, stock: 0 }),
  handlers: {
    ProductCreated(_state, event) {
      return { status: 'active', name: event.data.name, sku: event.data.sku, priceCents: event.data.priceCents, stock: event.data.stock };
    },
    ProductRenamed(state, event) {
      return Object.assign({}, state, { name: event.data.name });
    },
    PriceChanged(state, event) {
      return Object.assign({}, state, { priceCents: event.data.priceCents });
    },
    StockAdjusted(state, event) {
      return Object.assign({}, state, { stock: event.data.stock });
    },
    ProductDiscontinued(state) {
      return Object.assign({}, state, { status: 'discontinued' });
    },
  },
};
