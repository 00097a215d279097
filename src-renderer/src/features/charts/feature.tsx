import type { Feature } from '../../app/feature';
import { ChartsIcon } from '../../ui/icons';
import { ChartsScreen } from './ChartsScreen';

export const chartsFeature: Feature = { route: 'charts', title: 'Charts', icon: <ChartsIcon />, Screen: ChartsScreen };
