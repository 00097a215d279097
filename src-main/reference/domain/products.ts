import { type Decider, type EventDraft, nonEmpty, positiveInteger, rule } from './decider';

export type ProductCommand =
  | { type: 'CreateProduct'; name: string; sku: string; priceCents: number; initialStock: number }
  | { type: 'RenameProduct'; name: string }
  | { type: 'ChangePrice'; priceCents: number }
  | { type: 'AdjustStock'; delta: number; reason: string }
  | { type: 'DiscontinueProduct'; reason: string };

export type ProductEvent =
  | EventDraft<'ProductCreated', { name: string; sku: string; priceCents: number; stock: number }>
  | EventDraft<'ProductRenamed', { name: string; previousName: string }>
  | EventDraft<'PriceChanged', { priceCents: number; previousPriceCents: number }>
  | EventDraft<'StockAdjusted', { delta: number; stock: number; reason: string }>
  | EventDraft<'ProductDiscontinued', { reason: string }>;

export interface ProductState {
  status: 'new' | 'active' | 'discontinued';
  name: string;
  sku: string;
  priceCents: number;
  stock: number;
}

function mustBeActive(state: ProductState): void {
  rule(state.status !== 'new', 'not_found', 'The product does not exist');
  rule(state.status === 'active', 'product_discontinued', 'The product is discontinued');
}

export const productDecider: Decider<ProductCommand, ProductEvent, ProductState> = {
  aggregateType: 'Product',
  initialState: () => ({ status: 'new', name: '', sku: '', priceCents: 0, stock: 0 }),

  decide(command, state) {
    switch (command.type) {
      case 'CreateProduct':
        rule(state.status === 'new', 'already_exists', 'The product already exists');
        nonEmpty(command.name, 'name');
        nonEmpty(command.sku, 'sku');
        positiveInteger(command.priceCents, 'priceCents');
        rule(Number.isSafeInteger(command.initialStock) && command.initialStock >= 0, 'invalid_stock', 'initialStock must be a non-negative integer');
        return [{ type: 'ProductCreated', data: { name: command.name, sku: command.sku, priceCents: command.priceCents, stock: command.initialStock } }];
      case 'RenameProduct':
        mustBeActive(state);
        nonEmpty(command.name, 'name');
        if (command.name === state.name) return [];
        return [{ type: 'ProductRenamed', data: { name: command.name, previousName: state.name } }];
      case 'ChangePrice':
        mustBeActive(state);
        positiveInteger(command.priceCents, 'priceCents');
        if (command.priceCents === state.priceCents) return [];
        return [{ type: 'PriceChanged', data: { priceCents: command.priceCents, previousPriceCents: state.priceCents } }];
      case 'AdjustStock': {
        mustBeActive(state);
        rule(Number.isSafeInteger(command.delta) && command.delta !== 0, 'invalid_amount', 'delta must be a non-zero integer');
        const stock = state.stock + command.delta;
        rule(stock >= 0, 'insufficient_stock', `Stock cannot go negative (stock ${state.stock}, delta ${command.delta})`);
        return [{ type: 'StockAdjusted', data: { delta: command.delta, stock, reason: command.reason } }];
      }
      case 'DiscontinueProduct':
        mustBeActive(state);
        return [{ type: 'ProductDiscontinued', data: { reason: command.reason } }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'ProductCreated':
        return { status: 'active', name: event.data.name, sku: event.data.sku, priceCents: event.data.priceCents, stock: event.data.stock };
      case 'ProductRenamed':
        return { ...state, name: event.data.name };
      case 'PriceChanged':
        return { ...state, priceCents: event.data.priceCents };
      case 'StockAdjusted':
        return { ...state, stock: event.data.stock };
      case 'ProductDiscontinued':
        return { ...state, status: 'discontinued' };
      default:
        return state;
    }
  },
};
