/**
 * A MongoDB password typed into the URI in clear, holding `/`, `@` or `:`, reaches no file
 * in browser mode (which keeps secrets in memory only) and no answer; a URI that cannot be
 * split without guessing is refused; log and audit text masks such passwords.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src-main/engine/engine';
import { redactSecretsInText } from '../../src-shared/redact-secrets';
import { createTestEngine, engineCaller } from '../integration/engine-support';
import { testServices } from '../integration/env';

const token = () => randomBytes(4).toString('hex');

/** Every file under the data directory, as text. */
async function everyFileText(dir: string): Promise<string> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const texts = await Promise.all(entries.filter((e) => e.isFile()).map((e) => readFile(join(e.parentPath, e.name), 'utf8')));
  return texts.join('\n');
}

/** The password, and each of its pieces between the characters a naive split would cut at. */
const piecesOf = (password: string) => [password, ...password.split(/[/@:?]/).filter((piece) => piece.length >= 6)];

describe('a MongoDB password with "/" or "@" typed into the URI, browser mode', () => {
  let engine: Engine;
  const call = engineCaller(() => engine);
  let dataDir: string;

  beforeAll(async () => {
    engine = await createTestEngine('sec-mongo-uri');
    dataDir = (await call('app.info', {})).dataDir;
  });
  afterAll(async () => {
    await engine.dispose();
  });

  const cases = () => {
    const p = (shape: string) => shape.replaceAll('X', token());
    return [
      {
        label: 'a "/"',
        password: p('slashX/X'),
        uri: (pw: string) => `mongodb://ops:${pw}@db1.example.net:27017/app`,
        stored: 'mongodb://db1.example.net:27017/app',
      },
      {
        label: 'an "@" and a "/"',
        password: p('atX@ss/wX'),
        uri: (pw: string) => `mongodb://ops:${pw}@db1.example.net:27017/app`,
        stored: 'mongodb://db1.example.net:27017/app',
      },
      {
        label: '"@", ":" and "/" before several hosts',
        password: p('mixX@h:X/X'),
        uri: (pw: string) => `mongodb://ops:${pw}@h1:1,h2:2/app?replicaSet=rs0`,
        stored: 'mongodb://h1:1,h2:2/app?replicaSet=rs0',
      },
      {
        label: 'percent-encoded "/" and "@"',
        password: p('pctX@ss/wX'),
        uri: (pw: string) => `mongodb://ops:${encodeURIComponent(pw)}@h1:1,h2:2/app`,
        stored: 'mongodb://h1:1,h2:2/app',
      },
      {
        label: 'mongodb+srv and "@/"',
        password: p('srvX@/X'),
        uri: (pw: string) => `mongodb+srv://ops:${pw}@cluster0.example.net/app?retryWrites=true`,
        stored: 'mongodb+srv://cluster0.example.net/app?retryWrites=true',
      },
    ];
  };

  it.each(cases())('with $label: the password goes to memory only, the URI is stored without it', async ({ password, uri, stored }) => {
    const added = await call('connections.add', {
      name: `uri-${token()}`,
      settings: { kind: 'mongo', uri: uri(password), database: 'app' },
      reason: 'secret test',
    });
    expect(added).toMatchObject({ settings: { uri: stored, user: 'ops' }, secretStorage: 'memory', needsSecret: false });
    const answers = JSON.stringify([added, await call('connections.list', {}), await call('audit.list', { limit: 100 })]);
    const files = await everyFileText(dataDir);
    expect(files).toContain(added.id);
    for (const piece of piecesOf(password)) {
      expect(files, `a piece of the password on disk: ${piece}`).not.toContain(piece);
      expect(answers).not.toContain(piece);
    }
    expect(await engine.connections.resolve(added.id)).toMatchObject({ settings: { uri: stored, user: 'ops' }, secret: password });
  });

  it('a URI that cannot be split without guessing is refused with a sentence, and nothing is saved', async () => {
    const password = `amb${token()}`;
    const before = (await call('connections.list', {})).length;
    for (const uri of [`mongodb://ops:${password}@h1/app?appName=a@b`, `mongodb://ops:${password}@`, `mongodb://ops:${password}%zz@h1/app`]) {
      await expect(call('connections.add', { name: `amb-${token()}`, settings: { kind: 'mongo', uri, database: 'app' } }), uri).rejects.toMatchObject({
        code: 'invalid_input',
        message: expect.stringMatching(/^The (MongoDB URI|user or password in the MongoDB URI) .*percent-encoded/),
      });
    }
    await expect(
      call('connections.add', { name: `amb-${token()}`, settings: { kind: 'mongo', uri: `mongodb://ops:${password} x@h1/app`, database: 'app' } }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('uri must not contain spaces'),
    });
    expect(await call('connections.list', {})).toHaveLength(before);
    expect(await everyFileText(dataDir)).not.toContain(password);
  });

  describe('against FerretDB', () => {
    let admin: pg.Client;
    const role = `chrono_sec_${token()}`;
    const password = `Pa@ss/w0rd:${token()}`;

    beforeAll(async () => {
      // FerretDB's PLAIN authentication checks the user against PostgreSQL: a scratch role with such a password.
      admin = new pg.Client(testServices.postgresUrl);
      await admin.connect();
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}' IN ROLE ${decodeURIComponent(new URL(testServices.postgresUrl).username)}`);
    });
    afterAll(async () => {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    });

    it('the password typed in clear is the one used to connect', async () => {
      const host = new URL(testServices.mongoUrl).host;
      const added = await call('connections.add', {
        name: `ferret-${token()}`,
        settings: { kind: 'mongo', uri: `mongodb://${role}:${password}@${host}/?authMechanism=PLAIN`, database: 'chronoscope_probe', connectTimeoutMs: 4000 },
      });
      expect(added.settings).toMatchObject({ uri: `mongodb://${host}/?authMechanism=PLAIN`, user: role });
      expect(await call('connections.test', { id: added.id })).toMatchObject({ ok: true });
      expect(await everyFileText(dataDir)).not.toContain('w0rd');
    });
  });
});

describe('redactSecretsInText masks such passwords wherever they are written', () => {
  const secret = 'S3cr3tPart';
  it.each([
    `connect mongodb://ops:p@ss/${secret}@db1:27017/app failed`,
    `"uri":"mongodb://ops:${secret}/x@h1:1,h2:2/app?replicaSet=rs0"`,
    `mongodb+srv://ops:a@${secret}/b@cluster0.example.net/app`,
    `mongodb://ops:${encodeURIComponent(`${secret}@/`)}@db1/app`,
    `mongodb://ops@corp:${secret}@db1/app`,
    `mongodb://ops/team:${secret}@db1/app`,
    `postgres://ops:${secret}@@db:5432/app and mongodb://ops:x@${secret}@db2/app`,
  ])('%s', (text) => {
    const masked = redactSecretsInText(text);
    expect(masked).not.toContain(secret);
    expect(masked).toContain('[redacted]');
  });
});
