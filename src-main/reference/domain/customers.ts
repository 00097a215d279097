import { type Decider, type EventDraft, nonEmpty, rule } from './decider';

export interface PostalAddress {
  street: string;
  city: string;
  postalCode: string;
  country: string;
}

/**
 * Customer events carry personal data (name, email, address). The decider works
 * on plaintext; the store boundary encrypts these fields (crypto/personal-data.ts),
 * so nothing personal is ever written in clear.
 */
export type CustomerCommand =
  | { type: 'RegisterCustomer'; firstName: string; lastName: string; email: string; address: PostalAddress }
  | { type: 'ChangeCustomerEmail'; email: string }
  | { type: 'ChangeCustomerAddress'; address: PostalAddress };

/** CustomerRegistered at schema v2; v1 had a single `name` (see events.ts `upcast`). */
export type CustomerEvent =
  | EventDraft<'CustomerRegistered', { firstName: string | null; lastName: string | null; email: string | null; address: PostalAddress | null }>
  | EventDraft<'CustomerEmailChanged', { email: string | null }>
  | EventDraft<'CustomerAddressChanged', { address: PostalAddress | null }>;

/** Personal fields are null when their key was shredded: the customer still exists, anonymous. */
export interface CustomerState {
  status: 'new' | 'registered';
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  address: PostalAddress | null;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function validEmail(email: string): void {
  rule(EMAIL.test(email), 'invalid_email', `Not an email address: ${email}`);
}

function validAddress(address: PostalAddress): void {
  nonEmpty(address.street, 'address.street');
  nonEmpty(address.city, 'address.city');
  nonEmpty(address.country, 'address.country');
}

export const customerDecider: Decider<CustomerCommand, CustomerEvent, CustomerState> = {
  aggregateType: 'Customer',
  initialState: () => ({ status: 'new', firstName: null, lastName: null, email: null, address: null }),

  decide(command, state) {
    switch (command.type) {
      case 'RegisterCustomer':
        rule(state.status === 'new', 'already_exists', 'The customer already exists');
        nonEmpty(command.firstName, 'firstName');
        validEmail(command.email);
        validAddress(command.address);
        return [
          { type: 'CustomerRegistered', data: { firstName: command.firstName, lastName: command.lastName, email: command.email, address: command.address } },
        ];
      case 'ChangeCustomerEmail':
        rule(state.status === 'registered', 'not_found', 'The customer does not exist');
        validEmail(command.email);
        if (command.email === state.email) return [];
        return [{ type: 'CustomerEmailChanged', data: { email: command.email } }];
      case 'ChangeCustomerAddress':
        rule(state.status === 'registered', 'not_found', 'The customer does not exist');
        validAddress(command.address);
        return [{ type: 'CustomerAddressChanged', data: { address: command.address } }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'CustomerRegistered':
        return { status: 'registered', firstName: event.data.firstName, lastName: event.data.lastName, email: event.data.email, address: event.data.address };
      case 'CustomerEmailChanged':
        return { ...state, email: event.data.email };
      case 'CustomerAddressChanged':
        return { ...state, address: event.data.address };
      default:
        return state;
    }
  },
};
