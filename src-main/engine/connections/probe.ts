import pg from 'pg';
import type { ConnectionSettings, ConnectionTestResult } from '../../../src-shared/schemas/connections';
import { ChronoError } from '../../../src-shared/errors';
import { redactSecretsInText } from '../../../src-shared/redact-secrets';
import { createKafka, createMongoClient, postgresConfig } from './drivers';
import { explainConnectionError } from './friendly-errors';

/** Connects for real, measures a round trip and reads the server's identity. */
export async function probeConnection(settings: ConnectionSettings, secret: string | undefined, signal?: AbortSignal): Promise<ConnectionTestResult> {
  const where = describeTarget(settings);
  try {
    const probe = runProbe(settings, secret);
    const deadline = settings.connectTimeoutMs * 3 + 2000;
    return await withDeadline(probe, deadline, where, signal);
  } catch (err) {
    const error = err instanceof ChronoError && err.code === 'cancelled' ? err : explainConnectionError(err, where);
    return { ok: false, error: { code: error.code, message: redactSecretsInText(error.message) } };
  }
}

export function describeTarget(settings: ConnectionSettings): string {
  switch (settings.kind) {
    case 'postgres':
      return `PostgreSQL at ${settings.host}:${settings.port}`;
    case 'mongo':
      return `MongoDB at ${
        settings.uri
          .replace(/^mongodb(\+srv)?:\/\//, '')
          .replace(/^.*@/, '')
          .split(/[/?]/)[0]
      }`;
    case 'kafka':
      return `Kafka at ${settings.brokers.join(', ')}`;
  }
}

async function runProbe(settings: ConnectionSettings, secret: string | undefined): Promise<ConnectionTestResult> {
  switch (settings.kind) {
    case 'postgres':
      return probePostgres(settings, secret);
    case 'mongo':
      return probeMongo(settings, secret);
    case 'kafka':
      return probeKafka(settings, secret);
  }
}

async function probePostgres(settings: Extract<ConnectionSettings, { kind: 'postgres' }>, secret: string | undefined): Promise<ConnectionTestResult> {
  const client = new pg.Client(postgresConfig(settings, secret));
  client.on('error', () => undefined); // a dropped connection must not crash the process
  try {
    await client.connect();
    const rttMs = await bestOf(3, () => client.query('SELECT 1'));
    const { rows } = await client.query<{ version: string; database: string; user: string }>(
      'SELECT current_setting($1) AS version, current_database() AS database, current_user AS user',
      ['server_version'],
    );
    const row = rows[0];
    return {
      ok: true,
      rttMs,
      serverVersion: `PostgreSQL ${row?.version ?? '?'}`,
      details: { database: row?.database ?? '', user: row?.user ?? '', tls: settings.sslMode },
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function probeMongo(settings: Extract<ConnectionSettings, { kind: 'mongo' }>, secret: string | undefined): Promise<ConnectionTestResult> {
  const client = createMongoClient(settings, secret);
  try {
    await client.connect();
    const db = client.db(settings.database);
    const rttMs = await bestOf(3, () => db.command({ ping: 1 }));
    const info = await db.command({ buildInfo: 1 });
    const details: Record<string, string> = { database: settings.database };
    if (typeof info.ferretdbVersion === 'string') details.ferretdb = info.ferretdbVersion;
    else if (info.ferretdb && typeof info.ferretdb === 'object') details.ferretdb = String((info.ferretdb as { version?: string }).version ?? 'yes');
    return { ok: true, rttMs, serverVersion: `MongoDB ${String(info.version)}`, details };
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function probeKafka(settings: Extract<ConnectionSettings, { kind: 'kafka' }>, secret: string | undefined): Promise<ConnectionTestResult> {
  const admin = createKafka(settings, secret, 0).admin();
  try {
    await admin.connect();
    const started = performance.now();
    const cluster = await admin.describeCluster();
    const rttMs = round(performance.now() - started);
    return {
      ok: true,
      rttMs,
      clusterId: cluster.clusterId,
      details: { brokers: String(cluster.brokers.length), controller: String(cluster.controller ?? '') },
    };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function bestOf(times: number, roundTrip: () => Promise<unknown>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < times; i += 1) {
    const started = performance.now();
    await roundTrip();
    best = Math.min(best, performance.now() - started);
  }
  return round(best);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function withDeadline<T>(work: Promise<T>, ms: number, where: string, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ChronoError('timeout', `${where} did not answer within ${Math.round(ms / 1000)} s.`)), ms);
    const onAbort = () => reject(new ChronoError('cancelled', 'The connection test was cancelled.'));
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  });
}
