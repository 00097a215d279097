import { CheckboxField, SelectField, TextField } from '../../ui/inputs';
import type { ConnectionDraft, SaslMechanism } from './draft';
import type { ProblemLookup } from './problems';

type Section = ConnectionDraft['kafka'];

export const KAFKA_FIELDS = ['settings.brokers', 'settings.clientId', 'settings.tls', 'settings.sasl', 'settings.connectTimeoutMs'] as const;

const MECHANISMS: { value: SaslMechanism | ''; label: string }[] = [
  { value: '', label: 'None' },
  { value: 'plain', label: 'PLAIN' },
  { value: 'scram-sha-256', label: 'SCRAM-SHA-256' },
  { value: 'scram-sha-512', label: 'SCRAM-SHA-512' },
];

interface Props {
  value: Section;
  onChange: (patch: Partial<Section>) => void;
  problems: ProblemLookup;
}

export function KafkaFields({ value, onChange, problems }: Props) {
  return (
    <>
      <div className="form-grid">
        <TextField
          className="span-3"
          label="Bootstrap servers"
          rows={3}
          value={value.brokers}
          placeholder={'kafka-1:9092\nkafka-2:9092'}
          hint="host:port, separated by commas or new lines."
          errors={problems.for('settings.brokers')}
          testId="field-brokers"
          onChange={(brokers) => onChange({ brokers })}
        />
        <TextField
          label="Client id"
          value={value.clientId}
          errors={problems.for('settings.clientId')}
          testId="field-client-id"
          onChange={(clientId) => onChange({ clientId })}
        />
        <TextField
          label="Timeout (ms)"
          value={value.connectTimeoutMs}
          errors={problems.for('settings.connectTimeoutMs')}
          testId="field-timeout"
          onChange={(connectTimeoutMs) => onChange({ connectTimeoutMs })}
        />
        <div className="form-grid__cell--center">
          <CheckboxField label="Use TLS" checked={value.tls} testId="field-tls" onChange={(tls) => onChange({ tls })} />
        </div>
      </div>
      <div className="form-grid form-grid--two">
        <SelectField
          label="SASL mechanism"
          value={value.saslMechanism}
          options={MECHANISMS}
          errors={problems.for('settings.sasl.mechanism')}
          testId="field-sasl-mechanism"
          onChange={(saslMechanism) => onChange({ saslMechanism })}
        />
        {value.saslMechanism && (
          <TextField
            label="SASL username"
            value={value.saslUsername}
            errors={problems.for('settings.sasl.username')}
            testId="field-sasl-username"
            autoComplete="username"
            onChange={(saslUsername) => onChange({ saslUsername })}
          />
        )}
      </div>
    </>
  );
}
