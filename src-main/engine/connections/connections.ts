import type { z } from 'zod';
import { ChronoError } from '../../../src-shared/errors';
import { redactSecretsInText } from '../../../src-shared/redact-secrets';
import type {
  ConnectionSettings,
  ConnectionStatus,
  ConnectionTestResult,
  ConnectionView,
  KafkaPipelineLink,
  connectionsAddInput,
  connectionsTestInput,
  connectionsUpdateInput,
} from '../../../src-shared/schemas/connections';
import type { LocalWorkspace } from '../local-workspace/local-workspace';
import { readMongoUri, splitMongoUri } from '../../../src-shared/mongo-uri';
import { probeConnection } from './probe';
import { newProfileId, type ProfileStore, type StoredProfile } from './profile-store';
import type { SecretStore } from './secret-store';
import { secretRequired, targetChange } from '../../../src-shared/secret-target';

export const LOCAL_WORKSPACE_ID = 'local';

/** A profile ready to open: settings and secret. Stays inside the main process. */
export interface ResolvedConnection {
  id: string;
  name: string;
  readOnly: boolean;
  mayDecryptPersonalData: boolean;
  settings: ConnectionSettings;
  secret: string | undefined;
}

type StoredWithSecretFlag = StoredProfile & { usesSecret?: boolean };

/** Connection profiles: the built-in Local workspace plus saved ones, and their secrets. */
export class Connections {
  constructor(
    private readonly profiles: ProfileStore,
    private readonly secrets: SecretStore,
    private readonly local: LocalWorkspace,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(): Promise<ConnectionView[]> {
    const saved = await this.profiles.list();
    return [this.localView(), ...(await Promise.all(saved.map(async (p) => this.view(await this.withoutUriPassword(p)))))];
  }

  async get(id: string): Promise<ConnectionView> {
    if (id === LOCAL_WORKSPACE_ID) return this.localView();
    return this.view(await this.withoutUriPassword(await this.profiles.get(id)));
  }

  async isReadOnly(id: string): Promise<boolean> {
    if (id === LOCAL_WORKSPACE_ID) return false;
    return (await this.profiles.get(id)).readOnly;
  }

  /**
   * Whether browse and time travel may open sealed personal data with the subjects' keys.
   * The Local workspace holds only the demo's generated customers: it may.
   */
  async mayDecryptPersonalData(id: string): Promise<boolean> {
    if (id === LOCAL_WORKSPACE_ID) return true;
    return (await this.profiles.get(id)).mayDecryptPersonalData === true;
  }

  /** Settings and secret for the engine's own use; never returned to the renderer. */
  async resolve(id: string): Promise<ResolvedConnection> {
    if (id === LOCAL_WORKSPACE_ID) {
      await this.local.start();
      return { id, name: 'Local workspace', readOnly: false, mayDecryptPersonalData: true, settings: this.localSettings(), secret: undefined };
    }
    const profile = await this.withoutUriPassword(await this.profiles.get(id));
    return {
      id,
      name: profile.name,
      readOnly: profile.readOnly,
      mayDecryptPersonalData: profile.mayDecryptPersonalData === true,
      settings: profile.settings,
      secret: await this.secrets.get(id),
    };
  }

  async add(input: z.output<typeof connectionsAddInput>): Promise<ConnectionView> {
    const { settings, secret } = separateSecret(input.settings, input.secret);
    if (input.pipeline) await this.checkPipeline(settings, input.pipeline);
    const at = this.now().toISOString();
    const profile: StoredWithSecretFlag = {
      id: newProfileId(input.name),
      name: input.name,
      readOnly: input.readOnly,
      mayDecryptPersonalData: input.mayDecryptPersonalData,
      settings,
      ...(input.pipeline ? { pipeline: input.pipeline } : {}),
      createdAt: at,
      updatedAt: at,
      usesSecret: secret !== undefined && secret !== '',
    };
    await this.profiles.insert(profile);
    if (secret) await this.secrets.set(profile.id, secret);
    return this.view(profile);
  }

  async update(input: z.output<typeof connectionsUpdateInput>): Promise<ConnectionView> {
    this.refuseBuiltin(input.id, 'changed');
    const current = (await this.profiles.get(input.id)) as StoredWithSecretFlag;
    const { settings, secret } = input.settings ? separateSecret(input.settings, input.secret) : { settings: current.settings, secret: input.secret };
    // Keeping the saved secret for a new target would send it there on the next test or read.
    if (!secret && !input.clearSecret) await this.refuseSecretForNewTarget(input.id, current.settings, settings);
    const pipeline = input.pipeline === undefined ? current.pipeline : (input.pipeline ?? undefined);
    if (pipeline) await this.checkPipeline(settings, pipeline);
    const { pipeline: _previous, ...rest } = current;
    const next: StoredWithSecretFlag = {
      ...rest,
      ...(pipeline ? { pipeline } : {}),
      name: input.name ?? current.name,
      readOnly: input.readOnly ?? current.readOnly,
      mayDecryptPersonalData: input.mayDecryptPersonalData ?? current.mayDecryptPersonalData === true,
      settings,
      updatedAt: this.now().toISOString(),
      usesSecret: input.clearSecret ? false : Boolean(current.usesSecret || secret),
    };
    await this.profiles.replace(next);
    if (input.clearSecret) await this.secrets.delete(input.id);
    else if (secret) await this.secrets.set(input.id, secret);
    return this.view(next);
  }

  async remove(id: string, dryRun: boolean): Promise<{ removed: boolean; profile: ConnectionView }> {
    this.refuseBuiltin(id, 'removed');
    const profile = await this.view(await this.profiles.get(id));
    if (dryRun) return { removed: false, profile };
    await this.secrets.delete(id);
    await this.profiles.remove(id);
    return { removed: true, profile };
  }

  async test(input: z.output<typeof connectionsTestInput>, signal?: AbortSignal): Promise<ConnectionTestResult> {
    if ('id' in input) {
      const resolved = await this.resolve(input.id);
      if (!('settings' in input)) return probeConnection(resolved.settings, resolved.secret, signal);
      this.refuseBuiltin(input.id, 'tested with other settings');
      const edited = separateSecret(input.settings, input.secret);
      if (edited.secret) return probeConnection(edited.settings, edited.secret, signal);
      await this.refuseSecretForNewTarget(input.id, resolved.settings, edited.settings);
      return probeConnection(edited.settings, resolved.secret, signal);
    }
    const { settings, secret } = separateSecret(input.settings, input.secret);
    return probeConnection(settings, secret, signal);
  }

  /** One round of checks over every profile, run side by side. */
  async checkAll(signal: AbortSignal): Promise<ConnectionStatus[]> {
    const views = await this.list();
    return Promise.all(
      views.map(async (view): Promise<ConnectionStatus> => {
        const checkedAt = () => this.now().toISOString();
        if (view.needsSecret) return { id: view.id, state: 'needs-secret', message: 'Enter the password to connect.', checkedAt: checkedAt() };
        try {
          const result = await this.test({ id: view.id }, signal);
          return result.ok
            ? { id: view.id, state: 'connected', rttMs: result.rttMs, checkedAt: checkedAt() }
            : { id: view.id, state: 'error', message: result.error?.message, checkedAt: checkedAt() };
        } catch (err) {
          return { id: view.id, state: 'error', message: (err as Error).message, checkedAt: checkedAt() };
        }
      }),
    );
  }

  /** A MongoDB profile saved with the password inside its URI (older files, hand edits) has it moved to the secret store on first read. */
  private async withoutUriPassword(profile: StoredWithSecretFlag): Promise<StoredWithSecretFlag> {
    if (profile.settings.kind !== 'mongo') return profile;
    // A URI that cannot be split without guessing stays as it is: only ever shown redacted, and refused when edited.
    const split = readMongoUri(profile.settings.uri);
    if ('problem' in split || split.password === undefined) return profile;
    const settings = { ...profile.settings, uri: split.uri, ...(split.user && !profile.settings.user ? { user: split.user } : {}) };
    const migrated: StoredWithSecretFlag = { ...profile, settings, usesSecret: true };
    if ((await this.secrets.get(profile.id)) === undefined) await this.secrets.set(profile.id, split.password);
    await this.profiles.replace(migrated);
    return migrated;
  }

  /** A stored secret only goes where it was saved for: a changed host, port, user, URI or broker list needs it typed again. */
  private async refuseSecretForNewTarget(id: string, saved: ConnectionSettings, next: ConnectionSettings): Promise<void> {
    const change = targetChange(saved, next);
    if (change && (await this.secrets.get(id)) !== undefined) throw secretRequired(change);
  }

  /** A pipeline link belongs to a Kafka profile and names an event store that exists. */
  private async checkPipeline(settings: ConnectionSettings, link: KafkaPipelineLink): Promise<void> {
    if (settings.kind !== 'kafka') throw new ChronoError('invalid_input', 'Only a Kafka connection links to an event store.', { field: 'pipeline' });
    const target = link.eventStoreProfileId === LOCAL_WORKSPACE_ID ? undefined : (await this.profiles.list()).find((p) => p.id === link.eventStoreProfileId);
    if (link.eventStoreProfileId !== LOCAL_WORKSPACE_ID && !target) {
      throw new ChronoError('invalid_input', `No connection with id "${link.eventStoreProfileId}" to link to.`, { field: 'pipeline' });
    }
    if (target?.settings.kind === 'kafka')
      throw new ChronoError('invalid_input', `"${target.name}" is a Kafka connection, not an event store.`, { field: 'pipeline' });
  }

  private refuseBuiltin(id: string, verb: string): void {
    if (id === LOCAL_WORKSPACE_ID) throw new ChronoError('forbidden', `The Local workspace is built in and cannot be ${verb}.`);
  }

  private localSettings(): Extract<ConnectionSettings, { kind: 'postgres' }> {
    const endpoint = this.local.endpoint;
    return {
      kind: 'postgres',
      host: endpoint?.host ?? '127.0.0.1',
      port: endpoint?.port ?? 1,
      database: endpoint?.database ?? 'postgres',
      user: endpoint?.user ?? 'postgres',
      sslMode: 'disable',
      schema: 'public',
      connectTimeoutMs: 5000,
    };
  }

  private localView(): ConnectionView {
    const at = new Date(0).toISOString();
    return {
      id: LOCAL_WORKSPACE_ID,
      name: 'Local workspace',
      kind: 'postgres',
      builtin: true,
      readOnly: false,
      mayDecryptPersonalData: true,
      settings: this.localSettings(),
      secretStorage: 'none',
      needsSecret: false,
      createdAt: at,
      updatedAt: at,
    };
  }

  private async view(profile: StoredWithSecretFlag): Promise<ConnectionView> {
    const secretStorage = await this.secrets.storageOf(profile.id);
    return {
      id: profile.id,
      name: profile.name,
      kind: profile.settings.kind,
      builtin: false,
      readOnly: profile.readOnly,
      mayDecryptPersonalData: profile.mayDecryptPersonalData === true,
      // Profiles saved before passwords were moved out of URIs must not show them.
      settings: profile.settings.kind === 'mongo' ? { ...profile.settings, uri: redactSecretsInText(profile.settings.uri) } : profile.settings,
      ...(profile.pipeline ? { pipeline: profile.pipeline } : {}),
      secretStorage,
      needsSecret: Boolean(profile.usesSecret) && secretStorage === 'none',
      createdAt: profile.createdAt,
      updatedAt: profile.updatedAt,
    };
  }
}

/**
 * A password typed into a MongoDB URI is moved out of the settings into the secret store;
 * a URI that cannot be split without guessing is refused, so none is saved with a password inside.
 */
function separateSecret(settings: ConnectionSettings, secret: string | undefined): { settings: ConnectionSettings; secret: string | undefined } {
  if (settings.kind !== 'mongo') return { settings, secret };
  const split = splitMongoUri(settings.uri);
  return {
    settings: { ...settings, uri: split.uri, ...(split.user && !settings.user ? { user: split.user } : {}) },
    secret: secret ?? split.password,
  };
}
