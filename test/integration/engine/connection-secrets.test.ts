/**
 * Secrets stay secret: a MongoDB password typed into a URI is never recorded or
 * returned, and a stored password is never sent to a target it was not saved for.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations, type OperationSpec } from '../../../src-shared/operations';
import type { kafkaSettings } from '../../../src-shared/schemas/connections';
import { createDispatcher } from '../../../src-main/engine/dispatch/dispatcher';
import { AuditLog } from '../../../src-main/engine/audit/audit-log';
import { ConfirmationTokens } from '../../../src-main/engine/audit/confirmations';
import type { Engine } from '../../../src-main/engine/engine';
import { createTestEngine, engineCaller, postgresConnection } from '../engine-support';
import { testServices } from '../env';

const unique = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;

/**
 * Speaks just enough of the PostgreSQL wire protocol to ask for a cleartext
 * password (AuthenticationCleartextPassword, R/3) and records every password
 * message ('p') a client sends back.
 */
class PasswordTrap {
  readonly passwords: string[] = [];
  connections = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor() {
    this.server = createServer((socket) => this.serve(socket));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private serve(socket: Socket): void {
    this.connections += 1;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    let started = false;
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          // Startup message: int32 length (itself included), then the protocol version and parameters.
          if (buffer.length < 4 || buffer.length < buffer.readInt32BE(0)) return;
          buffer = buffer.subarray(buffer.readInt32BE(0));
          started = true;
          socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3])); // 'R', length 8, cleartext password
          continue;
        }
        if (buffer.length < 5 || buffer.length < 1 + buffer.readInt32BE(1)) return;
        const type = String.fromCharCode(buffer[0]!);
        const body = buffer.subarray(5, 1 + buffer.readInt32BE(1));
        buffer = buffer.subarray(1 + buffer.readInt32BE(1));
        if (type === 'p') {
          this.passwords.push(body.toString('utf8').replace(/\0$/, ''));
          const message = Buffer.from('SFATAL\0C28P01\0Mpassword authentication failed\0\0');
          const header = Buffer.alloc(5);
          header.write('E', 0);
          header.writeInt32BE(4 + message.length, 1);
          socket.end(Buffer.concat([header, message]));
        }
      }
    });
  }
}

describe('connection secrets through the engine', () => {
  let engine: Engine;
  const call = engineCaller(() => engine);

  beforeAll(async () => {
    engine = await createTestEngine('secrets');
  });
  afterAll(async () => {
    await engine.dispose();
  });

  describe('a MongoDB password typed into the URI', () => {
    let admin: pg.Client;
    let role: string;
    let password: string;

    beforeAll(async () => {
      // FerretDB's PLAIN authentication checks the user against PostgreSQL: a scratch role with a password of its own.
      admin = new pg.Client(testServices.postgresUrl);
      await admin.connect();
      role = unique('chrono_mongo').replace(/-/g, '_');
      password = unique('Mongo-Pa55');
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}' IN ROLE ${decodeURIComponent(new URL(testServices.postgresUrl).username)}`);
    });
    afterAll(async () => {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    });

    it('is moved to the secret store, never recorded or returned, and still used to connect', async () => {
      const mongo = new URL(testServices.mongoUrl);
      const uriWith = (secret: string) => `mongodb://${role}:${encodeURIComponent(secret)}@${mongo.host}/?authMechanism=PLAIN`;
      const settings = (secret: string) => ({ kind: 'mongo' as const, uri: uriWith(secret), database: 'chronoscope_probe', connectTimeoutMs: 4000 });

      const results: unknown[] = [];
      const added = await call('connections.add', { name: unique('mongo'), settings: settings(password), reason: 'secret test' });
      results.push(added);
      expect(added).toMatchObject({
        secretStorage: 'memory',
        needsSecret: false,
        settings: { uri: `mongodb://${mongo.host}/?authMechanism=PLAIN`, user: role },
      });

      const tested = await call('connections.test', { id: added.id });
      results.push(tested);
      expect(tested).toMatchObject({ ok: true, serverVersion: expect.stringMatching(/^MongoDB/) });

      // A URI typed again with a wrong password is refused by the server: the password in the URI is what gets used.
      const wrong = unique('Wrong-Pa55');
      results.push(await call('connections.test', { id: added.id, settings: settings(wrong) }));
      expect(results.at(-1)).toMatchObject({ ok: false });

      const updated = await call('connections.update', { id: added.id, settings: settings(password), reason: 'same password again' });
      results.push(updated);
      results.push(await call('connections.update', { id: added.id, settings: settings(wrong) }).catch((err: unknown) => err));
      results.push(await call('connections.list', {}));
      results.push(await call('audit.list', { limit: 50 }));
      results.push(await call('connections.test', { id: added.id }));

      const dataDir = (await call('app.info', {})).dataDir;
      const files = await Promise.all([join('audit', 'audit.jsonl'), 'connections.json'].map((name) => readFile(join(dataDir, name), 'utf8')));
      expect(files[0], 'the audit file exists').toContain('connections.add');
      for (const secret of [password, wrong, encodeURIComponent(password)]) {
        expect(files.join('\n')).not.toContain(secret);
        expect(JSON.stringify(results)).not.toContain(secret);
      }
      expect(files[0]).toContain(`mongodb://${role}:[redacted]@`);
    });

    it('a profile file that still holds one in the URI has it moved out on first read', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'chrono-legacy-'));
      const mongo = new URL(testServices.mongoUrl);
      const at = new Date().toISOString();
      const legacy = {
        id: 'legacy-mongo',
        name: 'Legacy Mongo',
        readOnly: true,
        settings: {
          kind: 'mongo',
          uri: `mongodb://${role}:${encodeURIComponent(password)}@${mongo.host}/?authMechanism=PLAIN`,
          database: 'chronoscope_probe',
          tls: false,
          connectTimeoutMs: 4000,
        },
        createdAt: at,
        updatedAt: at,
      };
      await writeFile(join(dataDir, 'connections.json'), JSON.stringify({ version: 1, profiles: [legacy] }));
      const legacyEngine = await createTestEngine('legacy', { dataDir });
      try {
        const legacyCall = engineCaller(() => legacyEngine);
        const listed = await legacyCall('connections.list', {});
        expect(listed.find((p) => p.id === 'legacy-mongo')).toMatchObject({
          settings: { uri: `mongodb://${mongo.host}/?authMechanism=PLAIN`, user: role },
          secretStorage: 'memory',
        });
        expect(JSON.stringify(listed)).not.toContain(password);
        expect(await readFile(join(dataDir, 'connections.json'), 'utf8')).not.toContain(password);
        expect(await legacyCall('connections.test', { id: 'legacy-mongo' })).toMatchObject({ ok: true });
      } finally {
        await legacyEngine.dispose();
      }
    });
  });

  describe('a stored password and a changed target', () => {
    const trap = new PasswordTrap();
    beforeAll(() => trap.listen());
    afterAll(() => trap.close());

    const storedSecret = unique('stored-Pa55');
    const addProfile = async () => {
      const base = postgresConnection(unique('pg'), testServices.postgresUrl);
      return call('connections.add', { ...base, secret: storedSecret });
    };
    const pointedAtTrap = (settings: Record<string, unknown>) => ({ ...settings, host: '127.0.0.1', port: trap.port, connectTimeoutMs: 2000 }) as never;

    it('test with a new host or port refuses to send the stored password', async () => {
      const profile = await addProfile();
      await expect(call('connections.test', { id: profile.id, settings: pointedAtTrap(profile.settings) })).rejects.toMatchObject({
        code: 'secret_required',
        message: expect.stringContaining('enter the password again'),
        details: { field: 'secret', changed: 'settings.port' },
      });
      await expect(call('connections.test', { id: profile.id, settings: { ...profile.settings, user: 'someone-else' } as never })).rejects.toMatchObject({
        code: 'secret_required',
        details: { changed: 'settings.user' },
      });
      expect(trap.passwords).toEqual([]);

      // The trap does collect what it is sent: a password typed for the new target goes there, and only that one.
      const typed = unique('typed-Pa55');
      const result = await call('connections.test', { id: profile.id, settings: pointedAtTrap(profile.settings), secret: typed });
      expect(result).toMatchObject({ ok: false, error: { code: 'auth_failed' } });
      expect(trap.passwords).toEqual([typed]);
    });

    it('update to a new target without the password is refused and changes nothing', async () => {
      const profile = await addProfile();
      trap.passwords.length = 0;
      await expect(call('connections.update', { id: profile.id, settings: pointedAtTrap(profile.settings) })).rejects.toMatchObject({
        code: 'secret_required',
        details: { field: 'secret', changed: 'settings.port' },
      });
      expect((await call('connections.list', {})).find((p) => p.id === profile.id)?.settings).toEqual(profile.settings);
      // The saved target still gets its password; settings that keep the target (a longer timeout) keep it too.
      expect(await call('connections.test', { id: profile.id })).toMatchObject({ error: { code: 'auth_failed' } });
      await call('connections.update', { id: profile.id, settings: { ...profile.settings, connectTimeoutMs: 3000 } as never });

      // With a new password the move is allowed, and from then on only the new password is sent.
      const fresh = unique('fresh-Pa55');
      await call('connections.update', { id: profile.id, settings: pointedAtTrap(profile.settings), secret: fresh });
      await call('connections.test', { id: profile.id });
      expect(trap.passwords).toEqual([fresh]);
      expect(trap.passwords).not.toContain(storedSecret);
    });

    it.each(testServices.kafkaClusters)('Kafka $version: new brokers or a new SASL user need the password again', async (cluster) => {
      const settings = {
        kind: 'kafka' as const,
        brokers: cluster.saslBrokers,
        sasl: { mechanism: 'scram-sha-256' as const, username: 'ops' },
        connectTimeoutMs: 1000,
      };
      const profile = await call('connections.add', { name: unique('kafka'), settings, secret: storedSecret });
      const attempts: [z.input<typeof kafkaSettings>, string][] = [
        [{ ...settings, brokers: [`127.0.0.1:${trap.port}`] }, 'settings.brokers'],
        [{ ...settings, sasl: { ...settings.sasl, username: 'other' } }, 'settings.sasl.username'],
        [{ ...settings, sasl: { ...settings.sasl, mechanism: 'plain' } }, 'settings.sasl.mechanism'],
      ];
      for (const [next, changed] of attempts) {
        await expect(call('connections.test', { id: profile.id, settings: next })).rejects.toMatchObject({ code: 'secret_required', details: { changed } });
        await expect(call('connections.update', { id: profile.id, settings: next })).rejects.toMatchObject({ code: 'secret_required', details: { changed } });
      }
      // The same brokers in another order are the same target.
      await expect(
        call('connections.update', { id: profile.id, settings: { ...settings, brokers: [...cluster.saslBrokers].reverse(), clientId: 'renamed' } }),
      ).resolves.toMatchObject({ id: profile.id });
    });
  });

  describe('the read-only guard with real profiles', () => {
    it('the real operations table starts a dispatcher: every target operation names its connections', () => {
      expect(() =>
        createDispatcher({
          operations,
          handlers: {},
          audit: { append: async () => ({ seq: 1 }) },
          confirmations: new ConfirmationTokens(),
          isReadOnly: async () => false,
          user: 't',
        }),
      ).not.toThrow();
    });

    it('refuses a target operation on a read-only profile the engine saved', async () => {
      const readOnly = await call('connections.add', { ...postgresConnection(unique('ro'), testServices.postgresUrl), readOnly: true });
      const writable = await call('connections.add', { ...postgresConnection(unique('rw'), testServices.postgresUrl), readOnly: false });
      const writes: string[][] = [];
      const write: OperationSpec = {
        summary: 'test: a write to connected systems',
        input: z.strictObject({ connectionIds: z.array(z.string()), reason: z.string().optional() }),
        result: z.object({}),
        effect: 'target',
      };
      const dataDir = (await call('app.info', {})).dataDir;
      const dispatcher = createDispatcher({
        operations: { ...operations, 'test.write': write },
        handlers: { 'test.write': async (input: { connectionIds: string[] }) => (writes.push(input.connectionIds), {}) } as never,
        audit: new AuditLog(join(dataDir, 'guard-test')),
        confirmations: new ConfirmationTokens(),
        isReadOnly: (id) => engine.connections.isReadOnly(id),
        user: 't',
      });
      const context = { operationId: 'w', signal: new AbortController().signal, emit: () => undefined, progress: () => undefined };
      await expect(dispatcher.run('test.write', { connectionIds: [writable.id, readOnly.id] }, context)).rejects.toMatchObject({
        code: 'read_only',
        details: { connectionId: readOnly.id },
      });
      await expect(dispatcher.run('test.write', { connectionIds: [writable.id] }, context)).resolves.toEqual({});
      expect(writes).toEqual([[writable.id]]);
    });
  });
});
