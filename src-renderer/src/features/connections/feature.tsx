import type { Feature } from '../../app/feature';
import { ConnectionsIcon } from '../../ui/icons';
import { ConnectionsScreen } from './ConnectionsScreen';

export const connectionsFeature: Feature = { route: 'connections', title: 'Connections', icon: <ConnectionsIcon />, Screen: ConnectionsScreen };
