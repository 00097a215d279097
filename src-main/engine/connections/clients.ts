import type { Admin, Cluster } from 'kafkajs';
import type { Db, MongoClient } from 'mongodb';
import pg from 'pg';
import { ChronoError } from '../../../src-shared/errors';
import type { Connections } from './connections';
import { createKafka, createKafkaCluster, createMongoClient, postgresConfig } from './drivers';
import { explainConnectionError } from './friendly-errors';
import { healingAdmin } from './kafka-admin-healing';
import { describeTarget } from './probe';
import { CHRONOSCOPE_PG_TYPES } from '../../stores/postgres/pg-types';

interface Held {
  pool?: Promise<pg.Pool>;
  mongo?: Promise<{ client: MongoClient; db: Db }>;
  kafkaAdmin?: Promise<Admin>;
  kafkaCluster?: Promise<Cluster>;
  /** Admins replaced after a deleted topic poisoned them, closed a little later: other views may still be using them. */
  retiredAdmins?: Set<Admin>;
}

/** How long a replaced admin stays open for the calls already under way on it. */
const RETIRED_ADMIN_GRACE_MS = 30_000;

/**
 * The driver clients of each connection, opened on first use and owned here:
 * one small pg pool, one MongoClient, one kafkajs Admin (and a kafkajs Cluster
 * for single fetches, the exact lag's message timestamps). `close` drops them
 * when a profile changes or goes; `closeAll` when the engine stops.
 */
export class Clients {
  private readonly held = new Map<string, Held>();
  /** One healing face per shared admin, so callers asking twice get the same object. */
  private readonly healing = new WeakMap<Admin, Admin>();

  constructor(private readonly connections: Connections) {}

  pool(connectionId: string): Promise<pg.Pool> {
    const held = this.slot(connectionId);
    held.pool ??= this.forgetOnFailure(connectionId, 'pool', this.openPool(connectionId));
    return held.pool;
  }

  mongo(connectionId: string): Promise<{ client: MongoClient; db: Db }> {
    const held = this.slot(connectionId);
    held.mongo ??= this.forgetOnFailure(connectionId, 'mongo', this.openMongo(connectionId));
    return held.mongo;
  }

  /** The connection's shared admin; it replaces itself when a deleted topic poisons its metadata (see kafka-admin-healing). */
  async kafkaAdmin(connectionId: string): Promise<Admin> {
    const admin = await this.sharedKafkaAdmin(connectionId);
    let healing = this.healing.get(admin);
    if (!healing) {
      healing = healingAdmin(admin, { current: () => this.sharedKafkaAdmin(connectionId), retire: (failed) => this.retireKafkaAdmin(connectionId, failed) });
      this.healing.set(admin, healing);
    }
    return healing;
  }

  private sharedKafkaAdmin(connectionId: string): Promise<Admin> {
    const held = this.slot(connectionId);
    held.kafkaAdmin ??= this.forgetOnFailure(connectionId, 'kafkaAdmin', this.openKafkaAdmin(connectionId));
    return held.kafkaAdmin;
  }

  /** Drops `failed` if it is still the connection's shared admin (a concurrent call may have replaced it already); it is closed after a grace period. */
  private async retireKafkaAdmin(connectionId: string, failed: Admin): Promise<void> {
    const held = this.held.get(connectionId);
    const holding = held?.kafkaAdmin;
    if (!held || !holding || (await holding.catch(() => undefined)) !== failed || held.kafkaAdmin !== holding) return;
    delete held.kafkaAdmin;
    const retired = (held.retiredAdmins ??= new Set());
    retired.add(failed);
    setTimeout(() => {
      if (retired.delete(failed)) void failed.disconnect().catch(() => undefined);
    }, RETIRED_ADMIN_GRACE_MS).unref?.();
  }

  kafkaCluster(connectionId: string): Promise<Cluster> {
    const held = this.slot(connectionId);
    held.kafkaCluster ??= this.forgetOnFailure(connectionId, 'kafkaCluster', this.openKafkaCluster(connectionId));
    return held.kafkaCluster;
  }

  /** Drops a connection's kafkajs Cluster after a failed request (stale metadata, a deleted topic it still targets): the next call opens a fresh one. */
  async resetKafkaCluster(connectionId: string): Promise<void> {
    const held = this.held.get(connectionId);
    const cluster = held?.kafkaCluster;
    if (!held || !cluster) return;
    delete held.kafkaCluster;
    await cluster.then((c) => c.disconnect()).catch(() => undefined);
  }

  /** Which clients a connection holds open right now. */
  health(connectionId: string): { pool: boolean; mongo: boolean; kafkaAdmin: boolean } {
    const held = this.held.get(connectionId);
    return { pool: held?.pool !== undefined, mongo: held?.mongo !== undefined, kafkaAdmin: held?.kafkaAdmin !== undefined };
  }

  /** Closes every client of a connection, e.g. after its profile changed or was removed. */
  async close(connectionId: string): Promise<void> {
    const held = this.held.get(connectionId);
    this.held.delete(connectionId);
    if (!held) return;
    await Promise.all([
      held.pool?.then((pool) => pool.end()).catch(() => undefined),
      held.mongo?.then(({ client }) => client.close()).catch(() => undefined),
      held.kafkaAdmin?.then((admin) => admin.disconnect()).catch(() => undefined),
      held.kafkaCluster?.then((cluster) => cluster.disconnect()).catch(() => undefined),
      ...[...(held.retiredAdmins ?? [])].map((admin) => admin.disconnect().catch(() => undefined)),
    ]);
    held.retiredAdmins?.clear();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.held.keys()].map((id) => this.close(id)));
  }

  private slot(connectionId: string): Held {
    let held = this.held.get(connectionId);
    if (!held) this.held.set(connectionId, (held = {}));
    return held;
  }

  /** A client that failed to open is not kept: the next call tries again. */
  private forgetOnFailure<T>(connectionId: string, key: keyof Held, opening: Promise<T>): Promise<T> {
    opening.catch(() => {
      const held = this.held.get(connectionId);
      if (held && held[key] === (opening as unknown)) delete held[key];
    });
    return opening;
  }

  private async openPool(connectionId: string): Promise<pg.Pool> {
    const resolved = await this.connections.resolve(connectionId);
    if (resolved.settings.kind !== 'postgres') {
      throw new ChronoError('invalid_input', `"${resolved.name}" is a ${resolved.settings.kind} connection, not an event store.`);
    }
    const settings = resolved.settings;
    const pool = new pg.Pool({ ...postgresConfig(settings, resolved.secret), max: 4, idleTimeoutMillis: 30_000, types: CHRONOSCOPE_PG_TYPES });
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

  private async openMongo(connectionId: string): Promise<{ client: MongoClient; db: Db }> {
    const resolved = await this.connections.resolve(connectionId);
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

  private async openKafkaAdmin(connectionId: string): Promise<Admin> {
    const resolved = await this.connections.resolve(connectionId);
    if (resolved.settings.kind !== 'kafka') throw new ChronoError('invalid_input', `"${resolved.name}" is not a Kafka connection.`);
    const admin = createKafka(resolved.settings, resolved.secret).admin();
    try {
      await admin.connect();
    } catch (err) {
      await admin.disconnect().catch(() => undefined);
      throw explainConnectionError(err, describeTarget(resolved.settings));
    }
    return admin;
  }

  private async openKafkaCluster(connectionId: string): Promise<Cluster> {
    const resolved = await this.connections.resolve(connectionId);
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
