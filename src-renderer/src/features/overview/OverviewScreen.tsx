import { AppInfoPanel } from './AppInfoPanel';
import { ConnectionHealthPanel } from './ConnectionHealthPanel';
import { LiveDemoPanel } from './LiveDemoPanel';
import { VerifyAllSnapshotsPanel } from '../jobs/VerifyAllSnapshotsPanel';
import './overview.css';

export function OverviewScreen() {
  return (
    <div className="overview">
      <AppInfoPanel />
      <LiveDemoPanel />
      <ConnectionHealthPanel />
      <VerifyAllSnapshotsPanel />
    </div>
  );
}
