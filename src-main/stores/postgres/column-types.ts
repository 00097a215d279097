/** udt_names of information_schema, grouped by what the store can read them as. */
export const INTEGER_TYPES = ['int2', 'int4', 'int8', 'numeric'];
export const TEXT_TYPES = ['text', 'varchar', 'bpchar', 'name', 'citext'];
export const PAYLOAD_TYPES = ['json', 'jsonb', 'bytea', ...TEXT_TYPES];
export const TIME_TYPES = ['timestamptz', 'timestamp', 'date', ...TEXT_TYPES];
