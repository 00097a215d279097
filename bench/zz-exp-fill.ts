// scratch: fill a kept database rw_exp_1m with 1M reference events
import { createDatabaseIfMissing, keptDatabasePool, fillReferenceEvents } from './database';
await createDatabaseIfMissing('rw_exp_1m');
const pool = await keptDatabasePool('rw_exp_1m', 4);
const store = await fillReferenceEvents(pool, 1_000_000);
await store.close();
await pool.end();
