import type { Feature } from '../../app/feature';
import { RebuildsScreen } from './RebuildsScreen';

function RebuildsIcon() {
  return (
    <svg
      width="16"
      height="16"
      viewBox="0 0 16 16"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.5"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
    >
      <rect x="2" y="3" width="5" height="10" rx="1" />
      <rect x="9" y="3" width="5" height="10" rx="1" />
      <path d="M7.5 8h1" />
    </svg>
  );
}

export const rebuildsFeature: Feature = { route: 'rebuilds', title: 'Rebuilds', icon: <RebuildsIcon />, Screen: RebuildsScreen };
