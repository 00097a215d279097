import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitMongoUri } from '../../src-main/engine/connections/drivers';
import { SecretStore, secretEnvName, type SecretCipher } from '../../src-main/engine/connections/secret-store';
import { explainConnectionError } from '../../src-main/engine/connections/friendly-errors';

/** A reversible stand-in for safeStorage: what matters is that plaintext never reaches the file. */
const xorCipher: SecretCipher = {
  name: 'test cipher',
  encrypt: (plain) => Buffer.from([...Buffer.from(plain)].map((b) => b ^ 0x5a)).toString('base64'),
  decrypt: (sealed) => Buffer.from([...Buffer.from(sealed, 'base64')].map((b) => b ^ 0x5a)).toString(),
};

describe('secret store', () => {
  it('writes secrets only encrypted, tagged with their format', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-secrets-'));
    const store = new SecretStore(dir, xorCipher, {});
    await store.set('prod-pg', 'hunter2-very-secret');
    const file = await readFile(join(dir, 'secrets.json'), 'utf8');
    expect(file).not.toContain('hunter2');
    expect(JSON.parse(file).secrets['prod-pg']).toMatch(/^\$01:/);
    const reopened = new SecretStore(dir, xorCipher, {});
    expect(await reopened.get('prod-pg')).toBe('hunter2-very-secret');
    expect(await reopened.storageOf('prod-pg')).toBe('encrypted');
    await reopened.delete('prod-pg');
    expect(await new SecretStore(dir, xorCipher, {}).get('prod-pg')).toBeUndefined();
  });

  it('keeps secrets in memory only when no cipher exists (browser mode)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-secrets-'));
    const store = new SecretStore(dir, undefined, {});
    await store.set('prod-pg', 'hunter2');
    expect(await store.get('prod-pg')).toBe('hunter2');
    expect(await store.storageOf('prod-pg')).toBe('memory');
    await expect(readFile(join(dir, 'secrets.json'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reads secrets from the environment first', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-secrets-'));
    expect(secretEnvName('prod-pg-1a2b')).toBe('CHRONOSCOPE_SECRET_PROD_PG_1A2B');
    const store = new SecretStore(dir, undefined, { CHRONOSCOPE_SECRET_PROD_PG: 'from-env' });
    expect(await store.get('prod-pg')).toBe('from-env');
    expect(await store.storageOf('prod-pg')).toBe('environment');
  });
});

describe('connection helpers', () => {
  it('moves a password out of a MongoDB URI', () => {
    expect(splitMongoUri('mongodb://ops:p%40ss@db1:27017,db2:27017/app?replicaSet=rs0')).toEqual({
      uri: 'mongodb://db1:27017,db2:27017/app?replicaSet=rs0',
      user: 'ops',
      password: 'p@ss',
    });
    expect(splitMongoUri('mongodb://db1:27017/')).toEqual({ uri: 'mongodb://db1:27017/' });
  });

  it('reads a password typed in clear up to the @ that starts the host list, and refuses a URI it would have to guess', () => {
    expect(splitMongoUri('mongodb://user:p@ss/w0rd@host:27017/db')).toEqual({ uri: 'mongodb://host:27017/db', user: 'user', password: 'p@ss/w0rd' });
    expect(splitMongoUri('mongodb://a@corp:pw@[::1]:27017,h2/db')).toEqual({ uri: 'mongodb://[::1]:27017,h2/db', user: 'a@corp', password: 'pw' });
    expect(splitMongoUri('mongodb://ops@db/app?appName=x')).toEqual({ uri: 'mongodb://db/app?appName=x', user: 'ops' });
    // An "@" in an option could also end a password: the host list could be "db" or "x".
    expect(() => splitMongoUri('mongodb://db:27017/app?appName=me@x')).toThrow(/more than one way/);
    expect(() => splitMongoUri('mongodb://ops:pw@')).toThrow(/no host list after it/);
  });

  it('explains driver errors in words a person can act on', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(explainConnectionError(refused, 'PostgreSQL at 127.0.0.1:1')).toMatchObject({
      code: 'connection_refused',
      message: expect.stringContaining('is not reachable: nothing is listening there'),
    });
    const password = Object.assign(new Error('password authentication failed for user "x"'), { code: '28P01' });
    expect(explainConnectionError(password, 'PostgreSQL').code).toBe('auth_failed');
    const nested = new Error('Server selection timed out', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND nope.invalid'), { code: 'ENOTFOUND' }) });
    expect(explainConnectionError(nested, 'MongoDB').code).toBe('host_not_found');
    expect(explainConnectionError(new Error('The server does not support SSL connections'), 'PostgreSQL').code).toBe('tls_error');
  });
});
