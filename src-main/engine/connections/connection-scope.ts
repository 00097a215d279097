/**
 * Everything Chronoscope opens for one connection, in one object: its driver
 * clients (pg pool, MongoClient, kafkajs client, admin and cluster), its event
 * store, its companion ports (checkpoints, snapshots, read models) and its key
 * cache. A changed profile or a preset confirmed again replaces the scope as a
 * whole, so nothing of the old settings or layouts can linger in a forgotten cache.
 */
import type { Admin, Cluster, Kafka } from 'kafkajs';
import type { Db, MongoClient } from 'mongodb';
import type pg from 'pg';
import { ChronoError } from '../../../src-shared/errors';
import type { EventStore } from '../../stores/event-store';
import type { CheckpointStore } from '../../stores/ports/checkpoint-store';
import { openCheckpoints, openReadModels, openSnapshots, type CompanionClient } from '../../stores/ports/open-companions';
import type { ReadModelStore } from '../../stores/ports/read-model-store';
import type { SnapshotStore } from '../../stores/ports/snapshot-store';
import type { StoreChoices } from '../browse/store-choices';
import { customCheckpointSource, type CheckpointMappings } from '../checkpoints/checkpoint-mappings';
import { presetResolver, withCustomMapping, type PresetResolver, type ResolvedPreset } from '../checkpoints/companion-ports';
import { SubjectKeyCache } from '../personal-data/subject-key-cache';
import { customSnapshotSource, type SnapshotMappings } from '../snapshots/snapshot-mappings';
import { Clients } from './clients';
import type { Connections } from './connections';
import { confirmedChoice, openEventStore } from './open-event-store';

export interface ConnectionScopeDeps {
  connections: Connections;
  /** The confirmed presets: where the event store and its companions are. */
  choices: StoreChoices;
  /** Custom checkpoint and snapshot mappings; they replace the preset's layouts where kept. */
  checkpointMappings?: Pick<CheckpointMappings, 'get'>;
  snapshotMappings?: Pick<SnapshotMappings, 'get'>;
}

/** The ports a custom mapping can change without the scope being replaced. */
export type ReopenablePort = 'checkpoints' | 'snapshots';

interface Resolvers {
  preset: PresetResolver;
  checkpoints: PresetResolver;
  snapshots: PresetResolver;
}

export class ConnectionScope {
  readonly clients: Clients;
  /** Subject keys read by browse and time travel through this connection (see SubjectKeyCache). */
  readonly keys = new SubjectKeyCache();
  private readonly held = new Map<string, Promise<unknown>>();
  private disposed = false;

  constructor(
    readonly connectionId: string,
    private readonly deps: ConnectionScopeDeps,
    private readonly resolvers: Resolvers,
  ) {
    this.clients = new Clients(deps.connections, connectionId);
  }

  async kind(): Promise<string> {
    return (await this.deps.connections.resolve(this.connectionId)).settings.kind;
  }

  pool(): Promise<pg.Pool> {
    return this.clients.pool();
  }

  mongo(): Promise<{ client: MongoClient; db: Db }> {
    return this.clients.mongo();
  }

  kafka(): Promise<Kafka> {
    return this.clients.kafka();
  }

  kafkaAdmin(): Promise<Admin> {
    return this.clients.kafkaAdmin();
  }

  kafkaCluster(): Promise<Cluster> {
    return this.clients.kafkaCluster();
  }

  resetKafkaCluster(): Promise<void> {
    return this.clients.resetKafkaCluster();
  }

  /** The event store through the confirmed preset; its errors are the store's own (not translated). */
  eventStore(): Promise<EventStore> {
    return this.hold('eventStore', async () => {
      const choice = await confirmedChoice(this.deps.choices, this.connectionId);
      if (!choice) {
        throw new ChronoError('not_found', 'No event-store schema is confirmed for this connection yet: detect the schema and confirm a preset first.', {
          connectionId: this.connectionId,
          next: 'stores.detect',
        });
      }
      return openEventStore(this, choice);
    });
  }

  checkpoints(): Promise<CheckpointStore> {
    return this.hold('checkpoints', () =>
      this.openCompanion(this.resolvers.checkpoints, ({ record, schema }, client) => openCheckpoints(record, client, schema ? { schema } : {})),
    );
  }

  snapshots(): Promise<SnapshotStore> {
    return this.hold('snapshots', () =>
      this.openCompanion(this.resolvers.snapshots, ({ record, schema }, client) => openSnapshots(record, client, schema ? { schema } : {})),
    );
  }

  readModels(): Promise<ReadModelStore> {
    return this.hold('readModels', () =>
      this.openCompanion(this.resolvers.preset, async ({ record, schema }, client) => openReadModels(record, client, schema ? { schema } : {})),
    );
  }

  /** A custom mapping was kept or dropped: that port opens again with the new layout (the clients stay). */
  reopen(port: ReopenablePort): void {
    this.held.delete(port);
  }

  /** Ends the clients; the scope is not used again (its registry hands out a new one). */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.held.clear();
    await this.clients.close();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Opened once per scope; a failed opening is not kept, so the next call tries again. */
  private hold<T>(key: string, open: () => Promise<T>): Promise<T> {
    let port = this.held.get(key) as Promise<T> | undefined;
    if (!port) {
      port = open();
      this.held.set(key, port);
      port.catch(() => {
        if (this.held.get(key) === port) this.held.delete(key);
      });
    }
    return port;
  }

  private async openCompanion<T>(resolve: PresetResolver, open: (preset: ResolvedPreset, client: CompanionClient) => Promise<T>): Promise<T> {
    const preset = await resolve(this.connectionId);
    const client = preset.record.backend === 'mongo' ? (await this.mongo()).db : await this.pool();
    return open(preset, client);
  }
}

/**
 * The scopes of all connections: one per connection id, made on first use,
 * replaced as a whole when its profile changes or goes, or its preset is
 * confirmed again. The client accessors by connection id always reach the
 * current scope.
 */
export class ConnectionScopes {
  private readonly scopes = new Map<string, ConnectionScope>();
  private readonly resolvers: Resolvers;

  constructor(private readonly deps: ConnectionScopeDeps) {
    const preset = presetResolver(deps.choices);
    const checkpointMappings = deps.checkpointMappings;
    const snapshotMappings = deps.snapshotMappings;
    this.resolvers = {
      preset,
      checkpoints: withCustomMapping(preset, checkpointMappings && ((id) => checkpointMappings.get(id)), customCheckpointSource),
      snapshots: withCustomMapping(preset, snapshotMappings && ((id) => snapshotMappings.get(id)), customSnapshotSource),
    };
  }

  get(connectionId: string): ConnectionScope {
    let scope = this.scopes.get(connectionId);
    if (!scope) this.scopes.set(connectionId, (scope = new ConnectionScope(connectionId, this.deps, this.resolvers)));
    return scope;
  }

  /** The connections with a scope: those in use since the engine started (or since their scope was last replaced). */
  ids(): string[] {
    return [...this.scopes.keys()];
  }

  /** Drops the connection's scope and ends its clients; the next use makes a fresh one (new settings, new layouts). */
  async replace(connectionId: string): Promise<void> {
    const old = this.scopes.get(connectionId);
    this.scopes.delete(connectionId);
    await old?.dispose();
  }

  /** The profile may no longer decrypt: the subject keys it read are dropped (its clients stay, and the jobs using them). */
  forgetKeys(connectionId: string): void {
    this.scopes.get(connectionId)?.keys.clear();
  }

  /** A crypto-shred deleted these subjects' keys: they stop opening at once, whichever connection reads them. */
  forgetSubjects(subjectIds: readonly string[]): void {
    for (const scope of this.scopes.values()) scope.keys.forgetSubjects(subjectIds);
  }

  pool(connectionId: string): Promise<pg.Pool> {
    return this.get(connectionId).pool();
  }

  mongo(connectionId: string): Promise<{ client: MongoClient; db: Db }> {
    return this.get(connectionId).mongo();
  }

  kafka(connectionId: string): Promise<Kafka> {
    return this.get(connectionId).kafka();
  }

  kafkaAdmin(connectionId: string): Promise<Admin> {
    return this.get(connectionId).kafkaAdmin();
  }

  kafkaCluster(connectionId: string): Promise<Cluster> {
    return this.get(connectionId).kafkaCluster();
  }

  resetKafkaCluster(connectionId: string): Promise<void> {
    return this.get(connectionId).resetKafkaCluster();
  }

  async closeAll(): Promise<void> {
    const all = [...this.scopes.values()];
    this.scopes.clear();
    await Promise.all(all.map((scope) => scope.dispose()));
  }
}

/** The clients of connections by id, as capabilities take them (always the current scope's). */
export type ConnectionClients = Pick<ConnectionScopes, 'pool' | 'mongo' | 'kafka' | 'kafkaAdmin' | 'kafkaCluster' | 'resetKafkaCluster'>;
