import type { Admin, Cluster, Kafka } from 'kafkajs';
import type { Db, MongoClient } from 'mongodb';
import pg from 'pg';
import { ChronoError } from '../../../src-shared/errors';
import type { Connections } from './connections';
import { createKafka, createKafkaCluster, createMongoClient, postgresConfig } from './drivers';
import { explainConnectionError } from './friendly-errors';
import { healingAdmin } from './kafka-admin-healing';
import { describeTarget } from './probe';
import { CHRONOSCOPE_PG_TYPES } from '../../stores/postgres/pg-types';

/** Connections of a pool: browse, time travel, checkpoints and rebuilds (its writes and its feed) share it, so the size the two pools of old had together. */
const POOL_MAX = 8;

/** How long a replaced admin stays open for the calls already under way on it. */
const RETIRED_ADMIN_GRACE_MS = 30_000;

/**
 * The driver clients of one connection, opened on first use and owned by its
 * ConnectionScope: one small pg pool, one MongoClient, one kafkajs Kafka (and
 * its Admin), and a kafkajs Cluster for single fetches (the exact lag's message
 * timestamps). `close` ends them all when the scope is replaced or the engine stops.
 */
export class Clients {
  private heldPool?: Promise<pg.Pool>;
  private heldMongo?: Promise<{ client: MongoClient; db: Db }>;
  private heldKafka?: Promise<Kafka>;
  private heldAdmin?: Promise<Admin>;
  private heldCluster?: Promise<Cluster>;
  /** Admins replaced after a deleted topic poisoned them, closed a little later: other views may still be using them. */
  private readonly retiredAdmins = new Set<Admin>();
  /** One healing face per shared admin, so callers asking twice get the same object. */
  private readonly healing = new WeakMap<Admin, Admin>();
  private closed = false;

  constructor(
    private readonly connections: Connections,
    readonly connectionId: string,
  ) {}

  pool(): Promise<pg.Pool> {
    if (this.closed) return this.refused();
    this.heldPool ??= this.forgetOnFailure(
      this.openPool(),
      () => this.heldPool,
      () => (this.heldPool = undefined),
    );
    return this.heldPool;
  }

  mongo(): Promise<{ client: MongoClient; db: Db }> {
    if (this.closed) return this.refused();
    this.heldMongo ??= this.forgetOnFailure(
      this.openMongo(),
      () => this.heldMongo,
      () => (this.heldMongo = undefined),
    );
    return this.heldMongo;
  }

  /** The connection's kafkajs client, for producers and consumers (topic browser, compliance scans, tombstones, scale-out publishing). */
  kafka(): Promise<Kafka> {
    if (this.closed) return this.refused();
    this.heldKafka ??= this.forgetOnFailure(
      this.openKafka(),
      () => this.heldKafka,
      () => (this.heldKafka = undefined),
    );
    return this.heldKafka;
  }

  /** The connection's shared admin; it replaces itself when a deleted topic poisons its metadata (see kafka-admin-healing). */
  async kafkaAdmin(): Promise<Admin> {
    const admin = await this.sharedKafkaAdmin();
    let healing = this.healing.get(admin);
    if (!healing) {
      healing = healingAdmin(admin, { current: () => this.sharedKafkaAdmin(), retire: (failed) => this.retireKafkaAdmin(failed) });
      this.healing.set(admin, healing);
    }
    return healing;
  }

  private sharedKafkaAdmin(): Promise<Admin> {
    if (this.closed) return this.refused();
    this.heldAdmin ??= this.forgetOnFailure(
      this.openKafkaAdmin(),
      () => this.heldAdmin,
      () => (this.heldAdmin = undefined),
    );
    return this.heldAdmin;
  }

  /** Drops `failed` if it is still the shared admin (a concurrent call may have replaced it already); it is closed after a grace period. */
  private async retireKafkaAdmin(failed: Admin): Promise<void> {
    const holding = this.heldAdmin;
    if (!holding || (await holding.catch(() => undefined)) !== failed || this.heldAdmin !== holding) return;
    this.heldAdmin = undefined;
    this.retiredAdmins.add(failed);
    setTimeout(() => {
      if (this.retiredAdmins.delete(failed)) void failed.disconnect().catch(() => undefined);
    }, RETIRED_ADMIN_GRACE_MS).unref?.();
  }

  kafkaCluster(): Promise<Cluster> {
    if (this.closed) return this.refused();
    this.heldCluster ??= this.forgetOnFailure(
      this.openKafkaCluster(),
      () => this.heldCluster,
      () => (this.heldCluster = undefined),
    );
    return this.heldCluster;
  }

  /** Drops the kafkajs Cluster after a failed request (stale metadata, a deleted topic it still targets): the next call opens a fresh one. */
  async resetKafkaCluster(): Promise<void> {
    const cluster = this.heldCluster;
    if (!cluster) return;
    this.heldCluster = undefined;
    await cluster.then((c) => c.disconnect()).catch(() => undefined);
  }

  /** Which clients the connection holds open right now. */
  health(): { pool: boolean; mongo: boolean; kafkaAdmin: boolean } {
    return { pool: this.heldPool !== undefined, mongo: this.heldMongo !== undefined, kafkaAdmin: this.heldAdmin !== undefined };
  }

  /** Ends every client; later calls are refused (the scope that owned them was replaced). */
  async close(): Promise<void> {
    this.closed = true;
    const { heldPool, heldMongo, heldAdmin, heldCluster } = this;
    this.heldPool = this.heldMongo = this.heldKafka = this.heldAdmin = this.heldCluster = undefined;
    const retired = [...this.retiredAdmins];
    this.retiredAdmins.clear();
    await Promise.all([
      heldPool?.then(endPool).catch(() => undefined),
      heldMongo?.then(({ client }) => client.close()).catch(() => undefined),
      heldAdmin?.then((admin) => admin.disconnect()).catch(() => undefined),
      heldCluster?.then((cluster) => cluster.disconnect()).catch(() => undefined),
      ...retired.map((admin) => admin.disconnect().catch(() => undefined)),
    ]);
  }

  private refused(): Promise<never> {
    return Promise.reject(
      new ChronoError('unavailable', "The connection's profile or confirmed preset changed while this was under way: try again.", {
        connectionId: this.connectionId,
      }),
    );
  }

  /** A client that failed to open is not kept: the next call tries again. */
  private forgetOnFailure<T>(opening: Promise<T>, current: () => Promise<T> | undefined, drop: () => void): Promise<T> {
    opening.catch(() => {
      if (current() === opening) drop();
    });
    return opening;
  }

  private async openPool(): Promise<pg.Pool> {
    const resolved = await this.connections.resolve(this.connectionId);
    if (resolved.settings.kind !== 'postgres') {
      throw new ChronoError('invalid_input', `"${resolved.name}" is a ${resolved.settings.kind} connection, not an event store.`);
    }
    const settings = resolved.settings;
    const pool = new pg.Pool({ ...postgresConfig(settings, resolved.secret), max: POOL_MAX, idleTimeoutMillis: 30_000, types: CHRONOSCOPE_PG_TYPES });
    // A dropped idle connection must not crash the main process; the next query reconnects.
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect();
      client.release();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw explainConnectionError(err, describeTarget(settings));
    }
    return pool;
  }

  private async openMongo(): Promise<{ client: MongoClient; db: Db }> {
    const resolved = await this.connections.resolve(this.connectionId);
    if (resolved.settings.kind !== 'mongo') throw new ChronoError('invalid_input', `"${resolved.name}" is not a MongoDB connection.`);
    const client = createMongoClient(resolved.settings, resolved.secret);
    try {
      await client.connect();
    } catch (err) {
      await client.close().catch(() => undefined);
      throw explainConnectionError(err, describeTarget(resolved.settings));
    }
    return { client, db: client.db(resolved.settings.database) };
  }

  private async openKafka(): Promise<Kafka> {
    const resolved = await this.connections.resolve(this.connectionId);
    if (resolved.settings.kind !== 'kafka') throw new ChronoError('invalid_input', `"${resolved.name}" is not a Kafka connection.`);
    return createKafka(resolved.settings, resolved.secret);
  }

  private async openKafkaAdmin(): Promise<Admin> {
    const resolved = await this.connections.resolve(this.connectionId);
    const admin = (await this.kafka()).admin();
    try {
      await admin.connect();
    } catch (err) {
      await admin.disconnect().catch(() => undefined);
      throw explainConnectionError(err, describeTarget(resolved.settings));
    }
    return admin;
  }

  private async openKafkaCluster(): Promise<Cluster> {
    const resolved = await this.connections.resolve(this.connectionId);
    if (resolved.settings.kind !== 'kafka') throw new ChronoError('invalid_input', `"${resolved.name}" is not a Kafka connection.`);
    const cluster = createKafkaCluster(resolved.settings, resolved.secret);
    try {
      await cluster.connect();
    } catch (err) {
      await cluster.disconnect().catch(() => undefined);
      throw explainConnectionError(err, describeTarget(resolved.settings));
    }
    return cluster;
  }
}

/** Ends a pool without waiting on clients still checked out (a live tail's listener): they are ended when released. */
async function endPool(pool: pg.Pool): Promise<void> {
  const ended = pool.end();
  await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, POOL_END_WAIT_MS).unref?.())]);
}

/** How long closing waits for a pool's busy clients before moving on. */
const POOL_END_WAIT_MS = 5_000;
