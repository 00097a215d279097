import { AppInfoPanel } from './AppInfoPanel';
import { ConnectionHealthPanel } from './ConnectionHealthPanel';
import './overview.css';

export function OverviewScreen() {
  return (
    <div className="overview">
      <AppInfoPanel />
      <ConnectionHealthPanel />
    </div>
  );
}
