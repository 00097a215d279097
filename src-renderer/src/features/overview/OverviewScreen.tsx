import { AppInfoPanel } from './AppInfoPanel';
import { ConnectionHealthPanel } from './ConnectionHealthPanel';
import { LiveDemoPanel } from './LiveDemoPanel';
import { StoreFiguresPanel } from './StoreFiguresPanel';
import { VerifyAllSnapshotsPanel } from '../jobs/VerifyAllSnapshotsPanel';
import { LagOverviewPanel } from '../checkpoints/LagOverviewPanel';
import { DriftStatusPanel } from '../rebuilds/DriftStatusPanel';
import './overview.css';

export function OverviewScreen() {
  return (
    <div className="overview">
      <StoreFiguresPanel />
      <AppInfoPanel />
      <LiveDemoPanel />
      <DriftStatusPanel />
      <ConnectionHealthPanel />
      <LagOverviewPanel />
      <VerifyAllSnapshotsPanel />
    </div>
  );
}
