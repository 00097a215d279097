import { AppInfoPanel } from './AppInfoPanel';
import { ConnectionHealthPanel } from './ConnectionHealthPanel';
import { VerifyAllSnapshotsPanel } from '../jobs/VerifyAllSnapshotsPanel';
import './overview.css';

export function OverviewScreen() {
  return (
    <div className="overview">
      <AppInfoPanel />
      <ConnectionHealthPanel />
      <VerifyAllSnapshotsPanel />
    </div>
  );
}
