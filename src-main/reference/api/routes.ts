import { z } from 'zod';
import type { CommandContext, CommandHandler, CommandResult } from '../commands/handlers';
import type { AggregateType } from '../events';
import { newId } from '../ids';

/** What a route answers: a status and a JSON body. */
export interface Reply {
  status: number;
  body: unknown;
}

export interface QuerySide {
  product(id: string): Promise<unknown | null>;
  account(id: string): Promise<unknown | null>;
  order(id: string): Promise<unknown | null>;
}

export interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  handle(params: string[], body: unknown, context: CommandContext): Promise<Reply>;
}

const id = z.string().min(1).max(255);
const cents = z.number().int().positive();
const address = z.object({ street: z.string(), city: z.string(), postalCode: z.string(), country: z.string() });

/** 202 Accepted: the events are stored; read models follow within seconds. */
function accepted(result: CommandResult): Reply {
  return {
    status: 202,
    body: {
      eventId: result.eventIds[0] ?? null,
      eventIds: result.eventIds,
      aggregateId: result.aggregateId,
      version: result.version,
      duplicate: result.duplicate,
    },
  };
}

function found(value: unknown | null, what: string): Reply {
  return value ? { status: 200, body: value } : { status: 404, body: { code: 'not_found', message: `${what} not found (or not projected yet)` } };
}

/** A command route: validate the body, build the command, run it on the aggregate named by the path (or the body). */
function command<S extends z.ZodType>(
  handler: CommandHandler,
  method: 'POST',
  pattern: RegExp,
  aggregateType: AggregateType,
  schema: S,
  toCommand: (body: z.infer<S>, params: string[]) => { aggregateId: string; command: { type: string } },
): Route {
  return {
    method,
    pattern,
    async handle(params, body, context) {
      const { aggregateId, command: cmd } = toCommand(schema.parse(body), params);
      // The registry's command types are checked by the zod schemas above; the decider re-checks every rule.
      return accepted(await handler.execute(aggregateType, aggregateId, cmd as never, context));
    },
  };
}

export function buildRoutes(handler: CommandHandler, queries: QuerySide): Route[] {
  const P = (path: string) => new RegExp(`^${path.replace(/:id/g, '([^/]+)')}$`);
  return [
    { method: 'GET', pattern: P('/health'), handle: async () => ({ status: 200, body: { ok: true } }) },
    { method: 'GET', pattern: P('/products/:id'), handle: async ([pid]) => found(await queries.product(pid!), 'product') },
    { method: 'GET', pattern: P('/accounts/:id'), handle: async ([aid]) => found(await queries.account(aid!), 'account') },
    { method: 'GET', pattern: P('/orders/:id'), handle: async ([oid]) => found(await queries.order(oid!), 'order') },

    command(
      handler,
      'POST',
      P('/products'),
      'Product',
      z.object({ productId: id.optional(), name: z.string(), sku: z.string(), priceCents: cents, initialStock: z.number().int().min(0).default(0) }),
      (b) => ({
        aggregateId: b.productId ?? newId(),
        command: { type: 'CreateProduct', name: b.name, sku: b.sku, priceCents: b.priceCents, initialStock: b.initialStock },
      }),
    ),
    command(handler, 'POST', P('/products/:id/rename'), 'Product', z.object({ name: z.string() }), (b, [pid]) => ({
      aggregateId: pid!,
      command: { type: 'RenameProduct', name: b.name },
    })),
    command(handler, 'POST', P('/products/:id/price'), 'Product', z.object({ priceCents: cents }), (b, [pid]) => ({
      aggregateId: pid!,
      command: { type: 'ChangePrice', priceCents: b.priceCents },
    })),
    command(
      handler,
      'POST',
      P('/products/:id/stock'),
      'Product',
      z.object({ delta: z.number().int(), reason: z.string().default('adjustment') }),
      (b, [pid]) => ({ aggregateId: pid!, command: { type: 'AdjustStock', delta: b.delta, reason: b.reason } }),
    ),
    command(handler, 'POST', P('/products/:id/discontinue'), 'Product', z.object({ reason: z.string().default('discontinued') }), (b, [pid]) => ({
      aggregateId: pid!,
      command: { type: 'DiscontinueProduct', reason: b.reason },
    })),

    command(handler, 'POST', P('/accounts'), 'Account', z.object({ accountId: id.optional(), ownerId: id, currency: z.string().length(3) }), (b) => ({
      aggregateId: b.accountId ?? newId(),
      command: { type: 'OpenAccount', ownerId: b.ownerId, currency: b.currency },
    })),
    command(handler, 'POST', P('/accounts/:id/deposits'), 'Account', z.object({ amountCents: cents }), (b, [aid]) => ({
      aggregateId: aid!,
      command: { type: 'DepositMoney', amountCents: b.amountCents },
    })),
    command(handler, 'POST', P('/accounts/:id/withdrawals'), 'Account', z.object({ amountCents: cents }), (b, [aid]) => ({
      aggregateId: aid!,
      command: { type: 'WithdrawMoney', amountCents: b.amountCents },
    })),
    command(handler, 'POST', P('/accounts/:id/close'), 'Account', z.object({ reason: z.string().default('closed') }), (b, [aid]) => ({
      aggregateId: aid!,
      command: { type: 'CloseAccount', reason: b.reason },
    })),
    {
      method: 'POST',
      pattern: P('/accounts/:id/transfers'),
      async handle([from], body, context) {
        const b = z.object({ toAccountId: id, amountCents: cents, transferId: id.optional() }).parse(body);
        const { sent, received } = await handler.transfer(from!, b.toAccountId, b.amountCents, { ...context, transferId: b.transferId });
        return {
          status: 202,
          body: {
            eventId: sent.eventIds[0] ?? null,
            eventIds: [...sent.eventIds, ...received.eventIds],
            aggregateId: from,
            version: sent.version,
            duplicate: sent.duplicate,
          },
        };
      },
    },

    command(
      handler,
      'POST',
      P('/orders'),
      'Order',
      z.object({
        orderId: id.optional(),
        customerId: id,
        currency: z.string().length(3),
        lines: z.array(z.object({ productId: id, quantity: z.number().int().positive(), unitPriceCents: cents })).min(1),
      }),
      (b) => ({ aggregateId: b.orderId ?? newId(), command: { type: 'PlaceOrder', customerId: b.customerId, currency: b.currency, lines: b.lines } }),
    ),
    command(handler, 'POST', P('/orders/:id/status'), 'Order', z.object({ status: z.enum(['confirmed', 'packed']) }), (b, [oid]) => ({
      aggregateId: oid!,
      command: { type: 'UpdateOrderStatus', status: b.status },
    })),
    command(handler, 'POST', P('/orders/:id/ship'), 'Order', z.object({ carrier: z.string(), trackingNumber: z.string() }), (b, [oid]) => ({
      aggregateId: oid!,
      command: { type: 'ShipOrder', carrier: b.carrier, trackingNumber: b.trackingNumber },
    })),
    command(handler, 'POST', P('/orders/:id/deliver'), 'Order', z.object({}).passthrough(), (_b, [oid]) => ({
      aggregateId: oid!,
      command: { type: 'DeliverOrder' },
    })),
    command(handler, 'POST', P('/orders/:id/cancel'), 'Order', z.object({ reason: z.string().default('cancelled') }), (b, [oid]) => ({
      aggregateId: oid!,
      command: { type: 'CancelOrder', reason: b.reason },
    })),

    command(
      handler,
      'POST',
      P('/customers'),
      'Customer',
      z.object({ customerId: id.optional(), firstName: z.string(), lastName: z.string(), email: z.string(), address }),
      (b) => ({
        aggregateId: b.customerId ?? newId(),
        command: { type: 'RegisterCustomer', firstName: b.firstName, lastName: b.lastName, email: b.email, address: b.address },
      }),
    ),
    command(handler, 'POST', P('/customers/:id/email'), 'Customer', z.object({ email: z.string() }), (b, [cid]) => ({
      aggregateId: cid!,
      command: { type: 'ChangeCustomerEmail', email: b.email },
    })),
    command(handler, 'POST', P('/customers/:id/address'), 'Customer', z.object({ address }), (b, [cid]) => ({
      aggregateId: cid!,
      command: { type: 'ChangeCustomerAddress', address: b.address },
    })),
  ];
}
