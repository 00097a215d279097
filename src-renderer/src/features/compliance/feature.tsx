import type { Feature } from '../../app/feature';
import { ComplianceScreen } from './ComplianceScreen';

function ComplianceIcon() {
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
      <path d="M8 1.5l5 2v4c0 3.2-2.2 5.6-5 7-2.8-1.4-5-3.8-5-7v-4z" />
      <path d="M5.8 8l1.6 1.6 3-3.2" />
    </svg>
  );
}

export const complianceFeature: Feature = { route: 'compliance', title: 'Compliance', icon: <ComplianceIcon />, Screen: ComplianceScreen };
