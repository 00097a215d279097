import { AppInfoPanel } from './AppInfoPanel';
import { ConnectionHealthPanel } from './ConnectionHealthPanel';
import { LiveDemoPanel } from './LiveDemoPanel';
import { VerifyAllSnapshotsPanel } from '../jobs/VerifyAllSnapshotsPanel';
import { LagOverviewPanel } from '../checkpoints/LagOverviewPanel';
import './overview.css';

export function OverviewScreen() {
  return (
    <div className="overview">
      <AppInfoPanel />
      <LiveDemoPanel />
      <ConnectionHealthPanel />
      <LagOverviewPanel />
      <VerifyAllSnapshotsPanel />
    </div>
  );
}
