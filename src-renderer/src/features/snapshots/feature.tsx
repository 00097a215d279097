import type { Feature } from '../../app/feature';
import { SnapshotsScreen } from './SnapshotsScreen';

function SnapshotsIcon() {
  return (
    <svg
      width="16"
      height="16"
      viewBox="0 0 16 16"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.4"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
    >
      <rect x="2" y="4" width="12" height="9" rx="1.5" />
      <path d="M5.5 4l1-1.5h3l1 1.5" />
      <circle cx="8" cy="8.5" r="2.2" />
    </svg>
  );
}

export const snapshotsFeature: Feature = { route: 'snapshots', title: 'Snapshots', icon: <SnapshotsIcon />, Screen: SnapshotsScreen };
