import type { ConnectionTestResult } from '../../../../src-shared/schemas/connections';
import { Alert } from '../../ui/Alert';
import { formatRtt } from '../../ui/format';

/** The outcome of `connections.test`: who answered and how fast, or what went wrong. */
export function TestResultView({ result, testId }: { result: ConnectionTestResult; testId?: string }) {
  if (!result.ok) {
    return (
      <Alert tone="danger" title="Connection failed" testId={testId}>
        <span data-testid="test-error-message">{result.error?.message ?? 'The connection test failed.'}</span>
        {result.error?.code && <span className="test-result__code"> ({result.error.code})</span>}
      </Alert>
    );
  }
  const identity = [result.serverVersion, result.clusterId ? `cluster ${result.clusterId}` : undefined].filter(Boolean).join(' · ');
  const details = Object.entries(result.details ?? {}).filter(([, value]) => value !== '');
  return (
    <Alert tone="success" title={`Connected${result.rttMs !== undefined ? ` in ${formatRtt(result.rttMs)} round trip` : ''}`} testId={testId}>
      <span data-testid="test-server-version">{identity || 'The server answered.'}</span>
      {details.length > 0 && (
        <span className="test-result__details">
          {details.map(([key, value]) => (
            <span key={key}>
              {key}: <span className="mono">{value}</span>
            </span>
          ))}
        </span>
      )}
    </Alert>
  );
}
