/**
 * A real Message DB: installed from the SQL its own package publishes
 * (`@eventide/message-db`, database/*.sql), written with its own
 * `message_store.write_message` function. Nothing of its schema is typed here.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import pg from 'pg';

const PACKAGE = '@eventide/message-db';

/** The package's `database` folder, or an error that says how to get it. */
export function messageDbSqlDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`)), 'database');
  } catch {
    throw new Error(`${PACKAGE} is not installed: Message DB tests install its own SQL from that package. Add it with \`bun add -d ${PACKAGE}@1.3.1\`.`);
  }
}

/**
 * The SQL files install.sh runs, in its order: its own `$base/<file>.sql` lines, and
 * those of each `source $base/install-*.sh` it runs (functions, indexes, views, privileges).
 */
export function messageDbInstallFiles(dir = messageDbSqlDir(), script = 'install.sh'): string[] {
  const files: string[] = [];
  for (const line of readFileSync(join(dir, script), 'utf8').split('\n')) {
    const sourced = /^\s*source \$base\/(\S+\.sh)\s*$/.exec(line);
    if (sourced) files.push(...messageDbInstallFiles(dir, sourced[1]!));
    const sql = /\$base\/(\S+\.sql)/.exec(line);
    if (sql && !line.trim().startsWith('#')) files.push(join(dir, sql[1]!));
  }
  return files;
}

/** Installs Message DB into the (empty) database `url`: the message_store role, schema, table, functions, indexes, views. */
export async function installMessageDb(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const file of messageDbInstallFiles()) await client.query(readFileSync(file, 'utf8'));
  } finally {
    await client.end();
  }
}

/** A client as Message DB's own clients connect: its functions call each other unqualified. */
export async function messageDbWriter(
  url: string,
): Promise<{ write(stream: string, type: string, data: unknown, metadata?: unknown): Promise<number>; close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url, options: '-c search_path=message_store,public' });
  await client.connect();
  return {
    async write(stream, type, data, metadata) {
      const { rows } = await client.query<{ position: string }>('SELECT message_store.write_message($1, $2, $3, $4, $5) AS position', [
        randomUUID(),
        stream,
        type,
        JSON.stringify(data),
        metadata === undefined ? null : JSON.stringify(metadata),
      ]);
      return Number(rows[0]!.position);
    },
    close: () => client.end(),
  };
}
