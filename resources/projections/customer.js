/* global definition: writable */
/* exported definition */
// Reference Customer aggregate: reproduces customerDecider.evolve (src-main/reference/domain/customers.ts)
// and the CustomerRegistered v1 -> v2 upcaster (src-main/reference/events.ts).
// Personal fields are what the store holds: encrypted unless the events were decrypted first.
function splitFullName(name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length <= 1) return { firstName: words[0] === undefined ? '' : words[0], lastName: '' };
  return { firstName: words.slice(0, -1).join(' '), lastName: words[words.length - 1] };
}

definition = {
  name: 'customer',
  appliesTo: { categories: ['Customer'], types: ['CustomerRegistered', 'CustomerEmailChanged', 'CustomerAddressChanged'] },
  init: () => ({ status: 'new', firstName: null, lastName: null, email: null, address: null }),
  upcasters: {
    CustomerRegistered: {
      1(event) {
        const data = Object.assign({}, event.data);
        const name = data.name;
        delete data.name;
        const split = typeof name === 'string' ? splitFullName(name) : { firstName: null, lastName: null };
        return Object.assign({}, event, {
          data: Object.assign(split, data),
          metadata: Object.assign({}, event.metadata, { schemaVersion: 2 }),
        });
      },
    },
  },
  handlers: {
    CustomerRegistered(_state, event) {
      const d = event.data;
      return { status: 'registered', firstName: d.firstName, lastName: d.lastName, email: d.email, address: d.address };
    },
    CustomerEmailChanged(state, event) {
      return Object.assign({}, state, { email: event.data.email });
    },
    CustomerAddressChanged(state, event) {
      return Object.assign({}, state, { address: event.data.address });
    },
  },
};
