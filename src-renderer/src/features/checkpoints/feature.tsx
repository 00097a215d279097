import type { Feature } from '../../app/feature';
import { CheckpointsIcon } from '../../ui/icons';
import { CheckpointsScreen } from './CheckpointsScreen';

export const checkpointsFeature: Feature = { route: 'checkpoints', title: 'Checkpoints', icon: <CheckpointsIcon />, Screen: CheckpointsScreen };
