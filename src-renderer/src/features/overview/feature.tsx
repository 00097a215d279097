import type { Feature } from '../../app/feature';
import { OverviewIcon } from '../../ui/icons';
import { OverviewScreen } from './OverviewScreen';

export const overviewFeature: Feature = { route: 'overview', title: 'Overview', icon: <OverviewIcon />, Screen: OverviewScreen };
