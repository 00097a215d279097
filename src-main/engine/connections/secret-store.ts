import { join } from 'node:path';
import type { SecretStorage } from '../../../src-shared/schemas/connections';
import { readJsonIfExists, writeFileAtomic } from '../util/files';
import { SerialQueue } from '../util/serial-queue';

/**
 * Encrypts secrets at rest. The desktop app supplies one backed by Electron's
 * safeStorage (OS keychain); browser mode has none, so secrets stay in memory.
 */
export interface SecretCipher {
  readonly name: string;
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
}

/** Stored values are tagged with their format, so the format can change later. */
const FORMAT_V1 = '$01:';

/** Environment variable that supplies a profile's secret, e.g. CHRONOSCOPE_SECRET_PROD_PG. */
export function secretEnvName(profileId: string): string {
  return `CHRONOSCOPE_SECRET_${profileId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

export class SecretStore {
  private readonly file: string;
  private readonly memory = new Map<string, string>();
  private readonly queue = new SerialQueue();

  constructor(
    dataDir: string,
    private readonly cipher: SecretCipher | undefined,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.file = join(dataDir, 'secrets.json');
  }

  get persistent(): boolean {
    return this.cipher !== undefined;
  }

  async get(profileId: string): Promise<string | undefined> {
    const fromEnv = this.env[secretEnvName(profileId)];
    if (fromEnv) return fromEnv;
    if (this.memory.has(profileId)) return this.memory.get(profileId);
    if (!this.cipher) return undefined;
    const sealed = (await this.readFile())[profileId];
    if (!sealed) return undefined;
    if (!sealed.startsWith(FORMAT_V1)) throw new Error(`The stored secret of "${profileId}" has an unknown format.`);
    const plain = this.cipher.decrypt(sealed.slice(FORMAT_V1.length));
    this.memory.set(profileId, plain);
    return plain;
  }

  /** Every secret this store can give (typed, from the environment, stored): to mask them wherever text is recorded. */
  async known(): Promise<string[]> {
    const found = new Set(this.memory.values());
    for (const [name, value] of Object.entries(this.env)) if (name.startsWith('CHRONOSCOPE_SECRET_') && value) found.add(value);
    if (this.cipher) {
      for (const profileId of Object.keys(await this.readFile())) {
        const plain = await this.get(profileId).catch(() => undefined);
        if (plain) found.add(plain);
      }
    }
    return [...found];
  }

  async storageOf(profileId: string): Promise<SecretStorage> {
    if (this.env[secretEnvName(profileId)]) return 'environment';
    if (this.cipher && (await this.readFile())[profileId]) return 'encrypted';
    if (this.memory.has(profileId)) return 'memory';
    return 'none';
  }

  async set(profileId: string, secret: string): Promise<void> {
    this.memory.set(profileId, secret);
    const cipher = this.cipher;
    if (!cipher) return; // Browser mode: never written to disk.
    await this.queue.run(async () => {
      const all = await this.readFile();
      all[profileId] = FORMAT_V1 + cipher.encrypt(secret);
      await writeFileAtomic(this.file, JSON.stringify({ version: 1, secrets: all }, null, 2));
    });
  }

  async delete(profileId: string): Promise<void> {
    this.memory.delete(profileId);
    if (!this.cipher) return;
    await this.queue.run(async () => {
      const all = await this.readFile();
      if (!(profileId in all)) return;
      delete all[profileId];
      await writeFileAtomic(this.file, JSON.stringify({ version: 1, secrets: all }, null, 2));
    });
  }

  private async readFile(): Promise<Record<string, string>> {
    const stored = await readJsonIfExists<{ version: number; secrets: Record<string, string> }>(this.file);
    return { ...(stored?.secrets ?? {}) };
  }
}
