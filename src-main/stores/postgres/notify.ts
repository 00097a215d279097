/**
 * LISTEN/NOTIFY for live tails, where the store fires it: the channel is read from
 * the events table's own triggers (a function calling `pg_notify('channel', ...)` or
 * `NOTIFY channel`), never invented. One dedicated connection per subscription.
 */
import type pg from 'pg';
import type { AppendSignal } from '../event-store';
import { qualifiedName, quoteIdent } from './mapping';

const PG_NOTIFY = /pg_notify\s*\(\s*'((?:[^']|'')+)'/i;
const NOTIFY = /\bNOTIFY\s+("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)/i;

/** The channel a trigger function's body notifies, if it names one literally. */
export function notifyChannelIn(functionBody: string): string | null {
  const call = PG_NOTIFY.exec(functionBody);
  if (call?.[1]) return call[1].replace(/''/g, "'");
  const statement = NOTIFY.exec(functionBody);
  if (!statement?.[1]) return null;
  const name = statement[1];
  return name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name.toLowerCase();
}

/** The channel an enabled insert trigger on the table notifies, or null. */
export async function detectNotifyChannel(pool: pg.Pool, schema: string | undefined, table: string): Promise<string | null> {
  const { rows } = await pool.query<{ body: string }>(
    `SELECT p.prosrc AS body FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
     WHERE t.tgrelid = to_regclass($1) AND NOT t.tgisinternal AND t.tgenabled <> 'D' AND (t.tgtype & 4) <> 0
     ORDER BY t.tgname`,
    [qualifiedName(schema, table)],
  );
  for (const row of rows) {
    const channel = notifyChannelIn(row.body);
    if (channel) return channel;
  }
  return null;
}

/** LISTENs on `channel` with a connection of its own, released on close. */
export async function listen(pool: pg.Pool, channel: string): Promise<AppendSignal> {
  const client = await pool.connect();
  let waiters = new Set<() => void>();
  /** A notification that arrived while nobody waited: the next wait returns at once. */
  let pending = false;
  const onNotification = (message: pg.Notification) => {
    if (message.channel !== channel) return;
    if (waiters.size === 0) pending = true;
    const woken = waiters;
    waiters = new Set();
    for (const wake of woken) wake();
  };
  client.on('notification', onNotification);
  try {
    await client.query(`LISTEN ${quoteIdent(channel)}`);
  } catch (err) {
    client.off('notification', onNotification);
    client.release(err as Error);
    throw err;
  }
  let closed = false;
  return {
    channel,
    wait(ms, signal) {
      if (pending || signal.aborted || closed) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        signal.addEventListener('abort', done, { once: true });
        waiters.add(done);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      client.off('notification', onNotification);
      for (const wake of waiters) wake();
      try {
        await client.query(`UNLISTEN ${quoteIdent(channel)}`);
        client.release();
      } catch (err) {
        client.release(err as Error);
      }
    },
  };
}
