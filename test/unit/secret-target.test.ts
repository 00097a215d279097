import { describe, expect, it } from 'vitest';
import { ChronoError } from '../../src-shared/errors';
import { redactSecretsInText } from '../../src-shared/redact-secrets';
import type { ConnectionSettings, ConnectionView } from '../../src-shared/schemas/connections';
import { targetChange } from '../../src-shared/secret-target';
import { problemsOf } from '../../src-renderer/src/client/errors';
import { draftOf, settingsOf, storedSecretProblems } from '../../src-renderer/src/features/connections/draft';

const postgres: ConnectionSettings = {
  kind: 'postgres',
  host: 'db.internal',
  port: 5432,
  database: 'app',
  user: 'ops',
  sslMode: 'verify-full',
  schema: 'public',
  connectTimeoutMs: 5000,
};
const mongo: ConnectionSettings = {
  kind: 'mongo',
  uri: 'mongodb://db1:27017,db2/?authSource=admin',
  database: 'app',
  user: 'ops',
  tls: true,
  connectTimeoutMs: 5000,
};
const kafka: ConnectionSettings = {
  kind: 'kafka',
  brokers: ['k1:9092', 'k2:9092'],
  clientId: 'chronoscope',
  tls: true,
  rejectUnauthorized: true,
  sasl: { mechanism: 'scram-sha-512', username: 'ops' },
  connectTimeoutMs: 5000,
};

describe('where a stored secret may go', () => {
  it('names the first change of server, account or protection', () => {
    expect(targetChange(postgres, { ...postgres, host: 'evil.example' })?.field).toBe('settings.host');
    expect(targetChange(postgres, { ...postgres, port: 6543 })?.field).toBe('settings.port');
    expect(targetChange(postgres, { ...postgres, user: 'admin' })?.field).toBe('settings.user');
    expect(targetChange(postgres, { ...postgres, sslMode: 'disable' })?.field).toBe('settings.sslMode');
    expect(targetChange(mongo, { ...mongo, uri: 'mongodb://evil.example/?authSource=admin' })?.field).toBe('settings.uri');
    expect(targetChange(mongo, { ...mongo, user: 'root' })?.field).toBe('settings.user');
    expect(targetChange(mongo, { ...mongo, tls: false })?.field).toBe('settings.tls');
    expect(targetChange(kafka, { ...kafka, brokers: ['k1:9092', 'evil:9092'] })?.field).toBe('settings.brokers');
    expect(targetChange(kafka, { ...kafka, sasl: { mechanism: 'scram-sha-512', username: 'root' } })?.field).toBe('settings.sasl.username');
    expect(targetChange(kafka, { ...kafka, sasl: { mechanism: 'plain', username: 'ops' } })?.field).toBe('settings.sasl.mechanism');
    expect(targetChange(kafka, { ...kafka, rejectUnauthorized: false })?.field).toBe('settings.rejectUnauthorized');
    expect(targetChange(postgres, mongo)?.field).toBe('settings.kind');
  });

  it('keeps the secret for changes that leave the target alone', () => {
    expect(targetChange(postgres, { ...postgres, host: 'DB.internal', connectTimeoutMs: 9000, schema: 'events', database: 'app2' })).toBeUndefined();
    expect(targetChange(mongo, { ...mongo, uri: 'mongodb://ops:typed@db1:27017,db2/?authSource=admin' })).toBeUndefined();
    expect(targetChange(kafka, { ...kafka, brokers: ['k2:9092', 'k1:9092'], clientId: 'other' })).toBeUndefined();
    // Without SASL the secret is not sent at all.
    const { sasl: _sasl, ...noSasl } = kafka;
    expect(targetChange(kafka, { ...noSasl, brokers: ['elsewhere:9092'] })).toBeUndefined();
  });
});

describe('the connection form and a stored secret', () => {
  const saved: ConnectionView = {
    id: 'prod',
    name: 'Prod',
    kind: 'postgres',
    builtin: false,
    readOnly: true,
    mayDecryptPersonalData: false,
    settings: postgres,
    secretStorage: 'memory',
    needsSecret: false,
    createdAt: '',
    updatedAt: '',
  };

  it('asks for the password next to its field when the target changed', () => {
    const draft = draftOf(saved);
    const moved = { ...draft, postgres: { ...draft.postgres, host: 'evil.example' } };
    const problems = storedSecretProblems(moved, settingsOf(moved, saved.settings).settings, saved);
    expect(problems).toEqual([{ field: 'secret', message: expect.stringContaining('enter the password again') }]);
    expect(storedSecretProblems({ ...moved, secret: 'typed' }, settingsOf(moved, saved.settings).settings, saved)).toEqual([]);
    expect(storedSecretProblems(draft, settingsOf(draft, saved.settings).settings, saved)).toEqual([]);
  });

  it('shows the host refusal on the password field', () => {
    expect(problemsOf(new ChronoError('secret_required', 'You changed the host', { field: 'secret', changed: 'settings.host' }))).toEqual([
      { field: 'secret', message: 'You changed the host' },
    ]);
  });
});

describe('passwords inside strings', () => {
  it('masks URI passwords and password pairs, keeps the rest readable', () => {
    expect(redactSecretsInText('mongodb+srv://ops:p%40ss@cluster.example.net/app?retryWrites=true')).toBe(
      'mongodb+srv://ops:[redacted]@cluster.example.net/app?retryWrites=true',
    );
    expect(redactSecretsInText('postgres://ops:raw@at@db:5432/app')).toBe('postgres://ops:[redacted]@db:5432/app');
    expect(redactSecretsInText('host=db user=ops password=s3cret dbname=app')).toBe('host=db user=ops password=[redacted] dbname=app');
    expect(redactSecretsInText('mongodb://db/app?authSource=admin&password=s3cret')).toBe('mongodb://db/app?authSource=admin&password=[redacted]');
    expect(redactSecretsInText('mongodb://ops@db/app')).toBe('mongodb://ops@db/app');
  });
});
