import type { ConnectionKind, ConnectionSettings, ConnectionView } from '../../../../src-shared/schemas/connections';
import { readMongoUri } from '../../../../src-shared/mongo-uri';
import { secretRequiredMessage, targetChange } from '../../../../src-shared/secret-target';
import type { FieldProblem } from '../../../../src-shared/validate';

type PostgresSettings = Extract<ConnectionSettings, { kind: 'postgres' }>;
type MongoSettings = Extract<ConnectionSettings, { kind: 'mongo' }>;
type KafkaSettings = Extract<ConnectionSettings, { kind: 'kafka' }>;

export type SslMode = PostgresSettings['sslMode'];
export type SaslMechanism = NonNullable<KafkaSettings['sasl']>['mechanism'];

/** What the form edits: text as typed (numbers too), one section per kind so switching kind loses nothing. */
export interface ConnectionDraft {
  name: string;
  kind: ConnectionKind;
  readOnly: boolean;
  /** Browse and time travel show sealed personal data in clear (opened in the main process). */
  mayDecryptPersonalData: boolean;
  /** Write-only: never prefilled; empty means "keep the stored one". */
  secret: string;
  clearSecret: boolean;
  postgres: { host: string; port: string; database: string; user: string; sslMode: SslMode; schema: string; connectTimeoutMs: string };
  mongo: { uri: string; database: string; user: string; tls: boolean; connectTimeoutMs: string };
  kafka: { brokers: string; clientId: string; tls: boolean; saslMechanism: SaslMechanism | ''; saslUsername: string; connectTimeoutMs: string };
}

const DEFAULT_TIMEOUT = '5000';

export function newDraft(): ConnectionDraft {
  return {
    name: '',
    kind: 'postgres',
    readOnly: true,
    mayDecryptPersonalData: false,
    secret: '',
    clearSecret: false,
    postgres: { host: '', port: '5432', database: '', user: '', sslMode: 'disable', schema: 'public', connectTimeoutMs: DEFAULT_TIMEOUT },
    mongo: { uri: '', database: '', user: '', tls: false, connectTimeoutMs: DEFAULT_TIMEOUT },
    kafka: { brokers: '', clientId: 'chronoscope', tls: false, saslMechanism: '', saslUsername: '', connectTimeoutMs: DEFAULT_TIMEOUT },
  };
}

export function draftOf(profile: ConnectionView): ConnectionDraft {
  const draft = { ...newDraft(), name: profile.name, kind: profile.kind, readOnly: profile.readOnly, mayDecryptPersonalData: profile.mayDecryptPersonalData };
  const s = profile.settings;
  switch (s.kind) {
    case 'postgres':
      draft.postgres = {
        host: s.host,
        port: String(s.port),
        database: s.database,
        user: s.user,
        sslMode: s.sslMode,
        schema: s.schema,
        connectTimeoutMs: String(s.connectTimeoutMs),
      };
      break;
    case 'mongo':
      draft.mongo = { uri: s.uri, database: s.database, user: s.user ?? '', tls: s.tls, connectTimeoutMs: String(s.connectTimeoutMs) };
      break;
    case 'kafka':
      draft.kafka = {
        brokers: s.brokers.join('\n'),
        clientId: s.clientId,
        tls: s.tls,
        saslMechanism: s.sasl?.mechanism ?? '',
        saslUsername: s.sasl?.username ?? '',
        connectTimeoutMs: String(s.connectTimeoutMs),
      };
      break;
  }
  return draft;
}

export interface DraftSettings {
  settings: ConnectionSettings;
  /** Problems found before asking the host: text where a number belongs. */
  problems: FieldProblem[];
}

/**
 * The settings to send. Fields the form does not show (CA certificates,
 * certificate verification) are carried over from the saved profile.
 * Everything else is validated by the host, which names the bad fields.
 */
export function settingsOf(draft: ConnectionDraft, saved?: ConnectionSettings): DraftSettings {
  const problems: FieldProblem[] = [];
  const whole = (text: string, field: string, label: string): number => {
    const value = Number(text.trim());
    if (text.trim() === '' || !Number.isInteger(value)) problems.push({ field: `settings.${field}`, message: `${label} must be a whole number` });
    return value;
  };
  const keep = saved?.kind === draft.kind ? saved : undefined;

  switch (draft.kind) {
    case 'postgres': {
      const d = draft.postgres;
      const settings: PostgresSettings = {
        kind: 'postgres',
        host: d.host.trim(),
        port: whole(d.port, 'port', 'port'),
        database: d.database.trim(),
        user: d.user.trim(),
        sslMode: d.sslMode,
        schema: d.schema.trim() || 'public',
        connectTimeoutMs: whole(d.connectTimeoutMs, 'connectTimeoutMs', 'timeout'),
        ...(keep?.kind === 'postgres' && keep.ca ? { ca: keep.ca } : {}),
      };
      return { settings, problems };
    }
    case 'mongo': {
      const d = draft.mongo;
      const settings: MongoSettings = {
        kind: 'mongo',
        uri: d.uri.trim(),
        database: d.database.trim(),
        ...(d.user.trim() ? { user: d.user.trim() } : {}),
        tls: d.tls,
        connectTimeoutMs: whole(d.connectTimeoutMs, 'connectTimeoutMs', 'timeout'),
        ...(keep?.kind === 'mongo' && keep.ca ? { ca: keep.ca } : {}),
      };
      return { settings, problems };
    }
    case 'kafka': {
      const d = draft.kafka;
      const settings: KafkaSettings = {
        kind: 'kafka',
        brokers: splitBrokers(d.brokers),
        clientId: d.clientId.trim() || 'chronoscope',
        tls: d.tls,
        rejectUnauthorized: keep?.kind === 'kafka' ? keep.rejectUnauthorized : true,
        ...(d.saslMechanism ? { sasl: { mechanism: d.saslMechanism, username: d.saslUsername.trim() } } : {}),
        connectTimeoutMs: whole(d.connectTimeoutMs, 'connectTimeoutMs', 'timeout'),
        ...(keep?.kind === 'kafka' && keep.ca ? { ca: keep.ca } : {}),
      };
      return { settings, problems };
    }
  }
}

/** Brokers may be typed comma-, space- or newline-separated. */
export function splitBrokers(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((b) => b.trim())
    .filter(Boolean);
}

/** Same connection target, ignoring key order and absent optional fields. */
export function sameSettings(a: ConnectionSettings, b: ConnectionSettings): boolean {
  return stableJson(a) === stableJson(b);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([x], [y]) => x.localeCompare(y));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The kind whose password the secret field holds. */
export function secretLabelOf(draft: ConnectionDraft): string | undefined {
  if (draft.kind === 'kafka') return draft.kafka.saslMechanism ? 'SASL password' : undefined;
  return 'Password';
}

/**
 * The host refuses to send a saved password to a changed host, port, user, URI or
 * broker list; saying so before asking it keeps the password field in view.
 */
export function storedSecretProblems(draft: ConnectionDraft, settings: ConnectionSettings, saved: ConnectionView | undefined): FieldProblem[] {
  if (!saved || saved.secretStorage === 'none' || draft.secret || draft.clearSecret) return [];
  if (settings.kind === 'mongo' && uriHoldsPassword(settings.uri)) return []; // a password typed into the URI
  const change = targetChange(saved.settings, settings);
  return change ? [{ field: 'secret', message: secretRequiredMessage(change) }] : [];
}

function uriHoldsPassword(uri: string): boolean {
  const parts = readMongoUri(uri);
  return 'password' in parts && parts.password !== undefined;
}
