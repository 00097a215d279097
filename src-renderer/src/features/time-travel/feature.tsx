import type { Feature } from '../../app/feature';
import { TimeTravelIcon } from './TimeTravelIcon';
import { TimeTravelScreen } from './TimeTravelScreen';

export const timeTravelFeature: Feature = { route: 'time-travel', title: 'Time travel', icon: <TimeTravelIcon />, Screen: TimeTravelScreen };
