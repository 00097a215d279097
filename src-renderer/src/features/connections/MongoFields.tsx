import { CheckboxField, TextField } from '../../ui/inputs';
import type { ConnectionDraft } from './draft';
import type { ProblemLookup } from './problems';

type Section = ConnectionDraft['mongo'];

export const MONGO_FIELDS = ['settings.uri', 'settings.database', 'settings.user', 'settings.tls', 'settings.connectTimeoutMs'] as const;

interface Props {
  value: Section;
  onChange: (patch: Partial<Section>) => void;
  problems: ProblemLookup;
}

export function MongoFields({ value, onChange, problems }: Props) {
  return (
    <div className="form-grid">
      <TextField
        className="span-3"
        label="Connection URI"
        value={value.uri}
        placeholder="mongodb://host:27017/?replicaSet=rs0"
        hint="A password written in the URI is moved to the secret store, not saved in the profile."
        errors={problems.for('settings.uri')}
        testId="field-uri"
        onChange={(uri) => onChange({ uri })}
      />
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
        placeholder="optional"
        errors={problems.for('settings.user')}
        testId="field-user"
        autoComplete="username"
        onChange={(user) => onChange({ user })}
      />
      <TextField
        label="Timeout (ms)"
        value={value.connectTimeoutMs}
        errors={problems.for('settings.connectTimeoutMs')}
        testId="field-timeout"
        onChange={(connectTimeoutMs) => onChange({ connectTimeoutMs })}
      />
      <div className="span-3">
        <CheckboxField label="Use TLS" checked={value.tls} testId="field-tls" onChange={(tls) => onChange({ tls })} />
      </div>
    </div>
  );
}
