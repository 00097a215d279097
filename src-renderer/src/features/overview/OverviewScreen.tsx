import { AppInfoPanel } from './AppInfoPanel';
import { ConnectionHealthPanel } from './ConnectionHealthPanel';
import { VerifyAllSnapshotsPanel } from '../jobs/VerifyAllSnapshotsPanel';
import { LagOverviewPanel } from '../checkpoints/LagOverviewPanel';
import './overview.css';

export function OverviewScreen() {
  return (
    <div className="overview">
      <AppInfoPanel />
      <ConnectionHealthPanel />
      <LagOverviewPanel />
      <VerifyAllSnapshotsPanel />
    </div>
  );
}
