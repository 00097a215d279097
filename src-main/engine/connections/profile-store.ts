import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ConnectionSettings, KafkaPipelineLink } from '../../../src-shared/schemas/connections';
import { ChronoError } from '../../../src-shared/errors';
import { readJsonIfExists, writeFileAtomic } from '../util/files';
import { SerialQueue } from '../util/serial-queue';

/** A saved profile as stored on disk: no secret in it, ever. */
export interface StoredProfile {
  id: string;
  name: string;
  readOnly: boolean;
  /** May open sealed personal data with the subjects' keys; absent in older files (= no). */
  mayDecryptPersonalData?: boolean;
  settings: ConnectionSettings;
  /** Kafka profiles: the event store linked to the cluster. */
  pipeline?: KafkaPipelineLink;
  createdAt: string;
  updatedAt: string;
}

interface ProfilesFile {
  version: 1;
  profiles: StoredProfile[];
}

export function newProfileId(name: string): string {
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'connection';
  return `${slug}-${randomBytes(3).toString('hex')}`;
}

/** Connection profiles in `<dataDir>/connections.json`, written atomically. */
export class ProfileStore {
  private readonly file: string;
  private readonly queue = new SerialQueue();

  constructor(dataDir: string) {
    this.file = join(dataDir, 'connections.json');
  }

  async list(): Promise<StoredProfile[]> {
    const stored = await readJsonIfExists<ProfilesFile>(this.file);
    return stored?.profiles ?? [];
  }

  async get(id: string): Promise<StoredProfile> {
    const profile = (await this.list()).find((p) => p.id === id);
    if (!profile) throw new ChronoError('not_found', `No connection with id "${id}".`);
    return profile;
  }

  async insert(profile: StoredProfile): Promise<void> {
    await this.mutate((profiles) => {
      if (profiles.some((p) => p.name.toLowerCase() === profile.name.toLowerCase())) {
        throw new ChronoError('conflict', `A connection named "${profile.name}" already exists.`, { field: 'name' });
      }
      return [...profiles, profile];
    });
  }

  async replace(profile: StoredProfile): Promise<void> {
    await this.mutate((profiles) => {
      if (!profiles.some((p) => p.id === profile.id)) throw new ChronoError('not_found', `No connection with id "${profile.id}".`);
      if (profiles.some((p) => p.id !== profile.id && p.name.toLowerCase() === profile.name.toLowerCase())) {
        throw new ChronoError('conflict', `A connection named "${profile.name}" already exists.`, { field: 'name' });
      }
      return profiles.map((p) => (p.id === profile.id ? profile : p));
    });
  }

  async remove(id: string): Promise<void> {
    await this.mutate((profiles) => profiles.filter((p) => p.id !== id));
  }

  private mutate(change: (profiles: StoredProfile[]) => StoredProfile[]): Promise<void> {
    return this.queue.run(async () => {
      const next = change(await this.list());
      const body: ProfilesFile = { version: 1, profiles: next };
      await writeFileAtomic(this.file, JSON.stringify(body, null, 2));
    });
  }
}
