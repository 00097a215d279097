import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { LiveDemoStatus } from '../../reference/demo/live-demo';
import { keepExtendedQueriesTogether } from './pglite-extended-queries';
import { CLASSIC_EVENTS_DDL } from '../../stores/postgres/classic-schema';

export type LocalWorkspaceState = 'stopped' | 'starting' | 'ready' | 'failed';

export interface LocalEndpoint {
  host: string;
  port: number;
  database: string;
  user: string;
}

/** Background work the workspace runs while open (the live demo's traffic), which the user can pause. */
export interface LocalWorkspaceActivity {
  status(): LiveDemoStatus;
  setPaused(paused: boolean): void;
  stop(): Promise<void>;
}

export interface LocalWorkspaceInitOptions {
  /** The user paused the activity last time: start it paused. */
  paused: boolean;
}

/** Runs once the database is up and the schema exists, e.g. to seed the demo data; may start background activity. */
export type LocalWorkspaceInitializer = (
  endpoint: LocalEndpoint,
  report: (message: string) => void,
  options: LocalWorkspaceInitOptions,
) => Promise<void | LocalWorkspaceActivity>;

/**
 * The zero-setup default: an embedded PostgreSQL (PGlite, WASM) persisted in the
 * data directory and served on a loopback port by pglite-socket, so every
 * PostgreSQL code path (`pg`) works against it unchanged.
 */
export class LocalWorkspace {
  private db: PGlite | undefined;
  private server: PGLiteSocketServer | undefined;
  private starting: Promise<LocalEndpoint> | undefined;
  private endpointValue: LocalEndpoint | undefined;
  private activityValue: LocalWorkspaceActivity | undefined;
  state: LocalWorkspaceState = 'stopped';
  message: string | undefined;

  constructor(
    private readonly directory: string,
    private readonly initialize?: LocalWorkspaceInitializer,
  ) {}

  get endpoint(): LocalEndpoint | undefined {
    return this.endpointValue;
  }

  /** The background activity (live demo), once the workspace is ready; undefined when there is none. */
  get activity(): LocalWorkspaceActivity | undefined {
    return this.activityValue;
  }

  /** Pauses or resumes the activity, remembered across restarts. */
  async setActivityPaused(paused: boolean): Promise<void> {
    this.activityValue?.setPaused(paused);
    await mkdir(this.directory, { recursive: true });
    await writeFile(this.activityFile, JSON.stringify({ paused }));
  }

  private get activityFile(): string {
    return join(this.directory, 'activity.json');
  }

  private async activityPaused(): Promise<boolean> {
    try {
      return (JSON.parse(await readFile(this.activityFile, 'utf8')) as { paused?: unknown }).paused === true;
    } catch {
      return false;
    }
  }

  start(): Promise<LocalEndpoint> {
    this.starting ??= this.open().catch((err: unknown) => {
      this.state = 'failed';
      this.message = `The Local workspace could not start: ${(err as Error).message}`;
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  private async open(): Promise<LocalEndpoint> {
    this.state = 'starting';
    this.message = 'Opening the embedded database';
    const dataDir = join(this.directory, 'pgdata');
    await mkdir(dataDir, { recursive: true });
    this.db = await PGlite.create(dataDir);
    await this.db.exec(CLASSIC_EVENTS_DDL);
    // Our own workspace carries the index the streams screen advises for listing one category.
    await this.db.exec('CREATE INDEX IF NOT EXISTS events_aggregate_type_aggregate_id_idx ON events (aggregate_type, aggregate_id, event_version)');
    // Several pg clients may connect; pglite-socket queues their queries and keeps transactions together.
    this.server = new PGLiteSocketServer({ db: this.db, host: '127.0.0.1', port: 0, maxConnections: 32 });
    keepExtendedQueriesTogether(this.server);
    await this.server.start();
    const port = Number(this.server.getServerConn().split(':').pop());
    if (!Number.isInteger(port) || port <= 0) throw new Error(`pglite-socket reported no port (${this.server.getServerConn()})`);
    const endpoint: LocalEndpoint = { host: '127.0.0.1', port, database: 'postgres', user: 'postgres' };
    this.endpointValue = endpoint;
    if (this.initialize) {
      const activity = await this.initialize(endpoint, (message) => (this.message = message), { paused: await this.activityPaused() });
      if (activity) this.activityValue = activity;
    }
    this.state = 'ready';
    this.message = undefined;
    return endpoint;
  }

  async stop(): Promise<void> {
    const starting = this.starting;
    this.starting = undefined;
    await starting?.catch(() => undefined);
    await this.activityValue?.stop().catch(() => undefined);
    this.activityValue = undefined;
    await this.server?.stop().catch(() => undefined);
    await this.db?.close().catch(() => undefined);
    this.server = undefined;
    this.db = undefined;
    this.endpointValue = undefined;
    this.state = 'stopped';
  }
}
