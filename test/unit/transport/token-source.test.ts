import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSessionToken, randomToken, tokenFileOf, TokenSourceError, tokenWeakness } from '../../../src-main/transport/token-source';

const STRONG = randomBytes(32).toString('hex');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chrono-token-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tokenFileWith(content: string, mode: number): Promise<string> {
  const file = join(dir, 'token');
  await writeFile(file, content, { mode });
  await chmod(file, mode); // writeFile's mode is narrowed by the umask
  return file;
}

describe('browser-mode token from a file', () => {
  it('makes a missing file with mode 0600 and a strong token, and reads the same token on the next start', async () => {
    const file = join(dir, 'token');
    const first = await loadSessionToken({ tokenFile: file, env: {} });
    expect(first).toMatchObject({ source: 'file', file, created: true });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(tokenWeakness(first.token)).toBeUndefined();
    expect((await readFile(file, 'utf8')).trim()).toBe(first.token);
    const second = await loadSessionToken({ tokenFile: file, env: {} });
    expect(second).toMatchObject({ token: first.token, source: 'file', created: false });
  });

  it('accepts a 0600 file of the user', async () => {
    const file = await tokenFileWith(`${STRONG}\n`, 0o600);
    expect((await loadSessionToken({ tokenFile: file, env: {} })).token).toBe(STRONG);
  });

  it.each([0o644, 0o640, 0o604, 0o660, 0o606])('refuses a file with mode %o, saying how to fix it', async (mode) => {
    const file = await tokenFileWith(STRONG, mode);
    const loading = loadSessionToken({ tokenFile: file, env: {} });
    await expect(loading).rejects.toThrow(TokenSourceError);
    await expect(loading).rejects.toThrow(/readable or writable by others .*chmod 600/);
  });

  it.runIf(process.getuid?.() === 0)('refuses a 0600 file owned by another user', async () => {
    const file = await tokenFileWith(STRONG, 0o600);
    await chown(file, 65534, 65534);
    await expect(loadSessionToken({ tokenFile: file, env: {} })).rejects.toThrow(/belongs to another user/);
  });

  it('refuses a symlink in place of the file, and a directory', async () => {
    const target = await tokenFileWith(STRONG, 0o600);
    const link = join(dir, 'link');
    await symlink(target, link);
    await expect(loadSessionToken({ tokenFile: link, env: {} })).rejects.toThrow(TokenSourceError);
    await expect(loadSessionToken({ tokenFile: dir, env: {} })).rejects.toThrow(/not a regular file/);
  });

  it('refuses a weak token written into the file', async () => {
    const file = await tokenFileWith('secret\n', 0o600);
    await expect(loadSessionToken({ tokenFile: file, env: {} })).rejects.toThrow(/is refused: it has 6 characters/);
  });

  it('refuses a file in a folder that does not exist, rather than inventing the folder', async () => {
    await expect(loadSessionToken({ tokenFile: join(dir, 'missing', 'token'), env: {} })).rejects.toThrow(/could not be created/);
  });

  it('--persist-token keeps the file in the data directory, making the directory if needed', async () => {
    const dataDir = join(dir, 'data');
    const file = tokenFileOf({ persistToken: true }, dataDir);
    expect(file).toBe(join(dataDir, 'browser-token'));
    const loaded = await loadSessionToken({ tokenFile: file, dataDir, env: {} });
    expect(loaded.created).toBe(true);
    expect((await stat(file!)).mode & 0o777).toBe(0o600);
    expect(tokenFileOf({ tokenFile: '/x/t', persistToken: true }, dataDir)).toBe('/x/t');
    expect(tokenFileOf({}, dataDir)).toBeUndefined();
  });
});

describe('browser-mode token from CHRONOSCOPE_TOKEN', () => {
  it('accepts a strong token', async () => {
    expect(await loadSessionToken({ env: { CHRONOSCOPE_TOKEN: STRONG } })).toEqual({ token: STRONG, source: 'env' });
    const base64url = randomBytes(32).toString('base64url');
    expect((await loadSessionToken({ env: { CHRONOSCOPE_TOKEN: base64url } })).token).toBe(base64url);
  });

  it.each([
    ['short', 'hunter2', /7 characters/],
    ['empty', '', /0 characters/],
    ['one character repeated', 'a'.repeat(64), /guessable/],
    ['a word repeated', 'password'.repeat(5), /guessable/],
    ['a sequence', 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', /consecutive/],
    ['characters a URL would change', `${STRONG.slice(0, 40)}+/=`, /may hold only/],
  ])('refuses a weak one (%s) and does not echo it', async (_case, token, why) => {
    const loading = loadSessionToken({ env: { CHRONOSCOPE_TOKEN: token } });
    await expect(loading).rejects.toThrow(why);
    const message = await loading.catch((error: Error) => error.message);
    if (token.length >= 6) expect(message).not.toContain(token);
  });

  it('refuses being given both a token file and CHRONOSCOPE_TOKEN', async () => {
    await expect(loadSessionToken({ tokenFile: join(dir, 'token'), env: { CHRONOSCOPE_TOKEN: STRONG } })).rejects.toThrow(/one way/);
  });

  it('without either, a new random token each start', async () => {
    const a = await loadSessionToken({ env: {} });
    const b = await loadSessionToken({ env: {} });
    expect(a.source).toBe('random');
    expect(a.token).not.toBe(b.token);
  });

  it('passes every random token it makes and the tokens README suggests (no false refusals)', () => {
    for (let i = 0; i < 2000; i++) {
      expect(tokenWeakness(randomToken())).toBeUndefined();
      expect(tokenWeakness(randomBytes(32).toString('hex'))).toBeUndefined();
    }
  });
});
