/**
 * The operators registered in this Chronoscope (`operators.json` in the data
 * directory). Each has an Ed25519 key pair: the public key and its fingerprint
 * in clear, the private key sealed with AES-256-GCM under a key derived from
 * the operator's passphrase (scrypt). Proving to be an operator means opening
 * that key, so a signature made with it stands for that person, not for
 * whoever holds the app's session token.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  scrypt,
  sign,
  verify,
  createCipheriv,
  createDecipheriv,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { ChronoError } from '../../../src-shared/errors';
import { operatorView, type OperatorCredentials, type OperatorView } from '../../../src-shared/schemas/operators';
import { readJsonIfExists, writeFileAtomic } from '../util/files';
import { SerialQueue } from '../util/serial-queue';

/** scrypt cost: about 0.1 s and 32 MiB per guess, once per approval. */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 160 * 1024 * 1024 } as const;

const sealedKey = z.object({
  kdf: z.literal('scrypt'),
  N: z.number(),
  r: z.number(),
  p: z.number(),
  salt: z.string(),
  iv: z.string(),
  tag: z.string(),
  ciphertext: z.string(),
});
const storedOperator = operatorView.extend({ privateKey: sealedKey });
type StoredOperator = z.infer<typeof storedOperator>;
const operatorsFile = z.object({ version: z.literal(1), operators: z.array(storedOperator) });

/** An operator whose passphrase opened their key: can sign for them. */
export interface UnlockedOperator {
  operator: OperatorView;
  sign(digest: Buffer): string;
}

export class OperatorRegistry {
  private readonly path: string;
  private readonly queue = new SerialQueue();

  constructor(dataDir: string) {
    this.path = join(dataDir, 'operators.json');
  }

  async list(): Promise<OperatorView[]> {
    return (await this.read()).map(publicView);
  }

  async get(id: string): Promise<OperatorView | undefined> {
    const found = (await this.read()).find((o) => o.id === id);
    return found ? publicView(found) : undefined;
  }

  /**
   * Registers an operator. The first one enrols alone; after that an existing
   * operator must vouch with their passphrase. Otherwise anyone holding the app's
   * session could mint a "second person" and approve their own erasures: with a
   * sponsor, a fake second operator needs a real operator's passphrase.
   */
  enroll(name: string, passphrase: string, sponsor: OperatorCredentials | undefined): Promise<OperatorView> {
    return this.queue.run(async () => {
      const operators = await this.read();
      let sponsoredBy: string | undefined;
      if (operators.length > 0) {
        if (!sponsor)
          throw new ChronoError('forbidden', 'Operators are registered already: an existing operator must sponsor the new one with their id and passphrase.');
        sponsoredBy = (await this.unlockFrom(operators, sponsor)).operator.id;
      }
      const id = uniqueId(name, new Set(operators.map((o) => o.id)));
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const spki = publicKey.export({ type: 'spki', format: 'der' });
      const fingerprint = createHash('sha256').update(spki).digest('hex');
      const record: StoredOperator = {
        id,
        name: name.trim(),
        fingerprint,
        publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        enrolledAt: new Date().toISOString(),
        ...(sponsoredBy ? { sponsoredBy } : {}),
        privateKey: await seal(privateKey.export({ type: 'pkcs8', format: 'der' }), passphrase, aad(id, fingerprint)),
      };
      await this.write([...operators, record]);
      return publicView(record);
    });
  }

  /** Opens the operator's private key with their passphrase; refuses an unknown id or a wrong passphrase alike. */
  async unlock(credentials: OperatorCredentials): Promise<UnlockedOperator> {
    return this.unlockFrom(await this.read(), credentials);
  }

  /** Whether `signature` is the registered operator's signature over `digest`, by the key with `fingerprint`. */
  async verifies(operatorId: string, fingerprint: string, digest: Buffer, signature: string): Promise<boolean> {
    const operator = (await this.read()).find((o) => o.id === operatorId);
    if (!operator || operator.fingerprint !== fingerprint) return false;
    try {
      return verify(null, digest, createPublicKey(operator.publicKey), Buffer.from(signature, 'base64'));
    } catch {
      return false;
    }
  }

  private async unlockFrom(operators: readonly StoredOperator[], credentials: OperatorCredentials): Promise<UnlockedOperator> {
    const operator = operators.find((o) => o.id === credentials.operatorId);
    // The same sentence for an unknown id and a wrong passphrase: neither tells which ids exist.
    const refused = new ChronoError('forbidden', `Operator "${credentials.operatorId}" and this passphrase do not match a registered operator.`, {
      operatorId: credentials.operatorId,
    });
    if (!operator) throw refused;
    let key: KeyObject;
    try {
      key = createPrivateKey({
        key: await open(operator.privateKey, credentials.passphrase, aad(operator.id, operator.fingerprint)),
        format: 'der',
        type: 'pkcs8',
      });
    } catch {
      throw refused;
    }
    const derived = createPublicKey(key).export({ type: 'spki', format: 'der' });
    if (createHash('sha256').update(derived).digest('hex') !== operator.fingerprint)
      throw new ChronoError('conflict', `The key of operator "${operator.id}" does not match its registered public key: operators.json was altered.`);
    return { operator: publicView(operator), sign: (digest) => sign(null, digest, key).toString('base64') };
  }

  private async read(): Promise<StoredOperator[]> {
    const saved = await readJsonIfExists<unknown>(this.path);
    if (saved === undefined) return [];
    const parsed = operatorsFile.safeParse(saved);
    if (!parsed.success) throw new ChronoError('conflict', `${this.path} is not a list of operators Chronoscope can read; restore it from a backup.`);
    return parsed.data.operators;
  }

  private write(operators: StoredOperator[]): Promise<void> {
    return writeFileAtomic(this.path, `${JSON.stringify({ version: 1, operators }, null, 1)}\n`);
  }
}

function publicView(stored: StoredOperator): OperatorView {
  const { privateKey: _sealed, ...view } = stored;
  return view;
}

function uniqueId(name: string, taken: ReadonlySet<string>): string {
  const base = `op-${
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'operator'
  }`;
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

/** Binds the sealed key to its record: a sealed key moved to another operator's entry does not open. */
function aad(id: string, fingerprint: string): Buffer {
  return Buffer.from(`chronoscope-operator\n${id}\n${fingerprint}`, 'utf8');
}

function derive(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(passphrase.normalize('NFC'), salt, 32, { ...params, maxmem: SCRYPT.maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

async function seal(secret: Buffer, passphrase: string, associated: Buffer): Promise<z.infer<typeof sealedKey>> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await derive(passphrase, salt, SCRYPT), iv);
  cipher.setAAD(associated);
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
  return {
    kdf: 'scrypt',
    N: SCRYPT.N,
    r: SCRYPT.r,
    p: SCRYPT.p,
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
}

async function open(sealed: z.infer<typeof sealedKey>, passphrase: string, associated: Buffer): Promise<Buffer> {
  if (sealed.N > 2 ** 16 || sealed.r > 8 || sealed.p > 2) throw new Error('scrypt parameters out of range');
  const decipher = createDecipheriv('aes-256-gcm', await derive(passphrase, Buffer.from(sealed.salt, 'base64'), sealed), Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(associated);
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]);
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
