/**
 * @drivrr/store: the data layer both services share, owned in one place: the read side of rides
 * and bids (`@drivrr/store/rides-read`) and the double-entry ledger (`@drivrr/store/ledger`).
 * Plain parameterised SQL over a `Queryable`; status lists come from the protocol's constants.
 */
export * from './rides-read.js';
export * from './ledger.js';
export * from './users.js';
