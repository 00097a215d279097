import { SelectField, TextField } from '../../ui/inputs';
import type { ConnectionDraft, SslMode } from './draft';
import type { ProblemLookup } from './problems';

type Section = ConnectionDraft['postgres'];

export const POSTGRES_FIELDS = [
  'settings.host',
  'settings.port',
  'settings.database',
  'settings.user',
  'settings.sslMode',
  'settings.schema',
  'settings.connectTimeoutMs',
] as const;

const SSL_MODES: { value: SslMode; label: string }[] = [
  { value: 'disable', label: 'disable — plain TCP' },
  { value: 'require', label: 'require — TLS, certificate not verified' },
  { value: 'verify-full', label: 'verify-full — TLS, certificate verified' },
];

interface Props {
  value: Section;
  onChange: (patch: Partial<Section>) => void;
  problems: ProblemLookup;
}

export function PostgresFields({ value, onChange, problems }: Props) {
  return (
    <div className="form-grid">
      <TextField
        className="span-2"
        label="Host"
        value={value.host}
        placeholder="db.internal or 10.0.0.5"
        errors={problems.for('settings.host')}
        testId="field-host"
        onChange={(host) => onChange({ host })}
      />
      <TextField label="Port" value={value.port} errors={problems.for('settings.port')} testId="field-port" onChange={(port) => onChange({ port })} />
      <TextField
        label="Database"
        value={value.database}
        errors={problems.for('settings.database')}
        testId="field-database"
        onChange={(database) => onChange({ database })}
      />
      <TextField
        label="User"
        value={value.user}
        errors={problems.for('settings.user')}
        testId="field-user"
        autoComplete="username"
        onChange={(user) => onChange({ user })}
      />
      <TextField
        label="Schema"
        value={value.schema}
        errors={problems.for('settings.schema')}
        testId="field-schema"
        onChange={(schema) => onChange({ schema })}
      />
      <SelectField
        className="span-2"
        label="SSL mode"
        value={value.sslMode}
        options={SSL_MODES}
        errors={problems.for('settings.sslMode')}
        testId="field-ssl-mode"
        onChange={(sslMode) => onChange({ sslMode })}
      />
      <TextField
        label="Timeout (ms)"
        value={value.connectTimeoutMs}
        errors={problems.for('settings.connectTimeoutMs')}
        testId="field-timeout"
        onChange={(connectTimeoutMs) => onChange({ connectTimeoutMs })}
      />
    </div>
  );
}
