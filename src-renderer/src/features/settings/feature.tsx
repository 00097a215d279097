import type { Feature } from '../../app/feature';
import { SettingsIcon } from './SettingsIcon';
import { SettingsScreen } from './SettingsScreen';

export const settingsFeature: Feature = { route: 'settings', title: 'Settings', icon: <SettingsIcon />, Screen: SettingsScreen };
