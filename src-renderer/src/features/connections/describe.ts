import type { ConnectionKind, ConnectionSettings, SecretStorage } from '../../../../src-shared/schemas/connections';

export const KIND_LABELS: Record<ConnectionKind, string> = {
  postgres: 'PostgreSQL event store',
  mongo: 'MongoDB event store',
  kafka: 'Kafka cluster',
};

export const KIND_SHORT_LABELS: Record<ConnectionKind, string> = {
  postgres: 'PostgreSQL',
  mongo: 'MongoDB',
  kafka: 'Kafka',
};

export const SECRET_STORAGE_LABELS: Record<SecretStorage, string> = {
  encrypted: 'Encrypted on disk',
  memory: 'In memory (this session)',
  environment: 'Environment variable',
  none: 'None stored',
};

/** Where a profile points, in one line: user@host:port/db, a Mongo URI, or the brokers. */
export function describeTarget(settings: ConnectionSettings): string {
  switch (settings.kind) {
    case 'postgres':
      return `${settings.user}@${settings.host}:${settings.port}/${settings.database}`;
    case 'mongo': {
      const hosts =
        settings.uri
          .replace(/^mongodb(\+srv)?:\/\//, '')
          .replace(/^[^@/]*@/, '')
          .split(/[/?]/)[0] ?? '';
      return `${settings.user ? `${settings.user}@` : ''}${hosts}/${settings.database}`;
    }
    case 'kafka': {
      const [first, second, ...rest] = settings.brokers;
      const shown = [first, second].filter(Boolean).join(', ');
      return rest.length ? `${shown} +${rest.length} more` : shown;
    }
  }
}
