import type { ResultOf } from '../../../../src-shared/operations';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Badge, type Tone } from '../../ui/Badge';
import { KeyValueList } from '../../ui/KeyValue';
import { Panel } from '../../ui/Panel';

type AppInfo = ResultOf<'app.info'>;

const WORKSPACE_TONES: Record<AppInfo['localWorkspace']['state'], Tone> = {
  ready: 'success',
  starting: 'info',
  failed: 'danger',
  stopped: 'neutral',
};

export function AppInfoPanel() {
  const { data: info, error } = useOperation(
    'app.info',
    {},
    { refetchInterval: (query) => (query.state.data?.localWorkspace.state === 'starting' ? 2000 : false) },
  );
  return (
    <Panel title="This Chronoscope" testId="app-info">
      {error && (
        <Alert tone="danger" title="Could not read the app information">
          {error.message}
        </Alert>
      )}
      {info && (
        <KeyValueList
          items={[
            ['Version', <span className="mono">{info.version}</span>],
            ['Mode', info.mode === 'desktop' ? 'Desktop app' : 'Browser mode (served on 127.0.0.1)'],
            ['User', info.user],
            ['Platform', info.platform],
            ['Data directory', <span className="mono">{info.dataDir}</span>],
            ['Secret storage', <SecretStorageFact info={info} />],
            ['Local workspace', <LocalWorkspaceFact info={info} />],
          ]}
        />
      )}
    </Panel>
  );
}

function SecretStorageFact({ info }: { info: AppInfo }) {
  return (
    <span className="fact">
      <Badge tone={info.secretStorage.kind === 'safeStorage' ? 'success' : 'warning'}>
        {info.secretStorage.kind === 'safeStorage' ? 'Encrypted at rest' : 'Memory only'}
      </Badge>
      <span className="muted">{info.secretStorage.note}</span>
    </span>
  );
}

function LocalWorkspaceFact({ info }: { info: AppInfo }) {
  const { state, message } = info.localWorkspace;
  return (
    <span className="fact" data-testid="local-workspace-state" data-state={state}>
      <Badge tone={WORKSPACE_TONES[state]}>{state}</Badge>
      {message && <span className="muted">{message}</span>}
    </span>
  );
}
