import { empty } from '../schemas/common';
import { settingsUpdateInput, settingsView } from '../schemas/settings';
import { op } from './op';

/** The operations of the user settings. */
export const settingsOperations = {
  'settings.get': op({
    summary: 'The user settings (time zone, theme, page sizes, sampling intervals) and the data directory',
    input: empty,
    result: settingsView,
    effect: 'none',
  }),
  'settings.update': op({
    summary: 'Change some of the user settings; validated and saved in the data directory',
    input: settingsUpdateInput,
    result: settingsView,
    effect: 'local',
    target: () => 'settings:app',
    invalidates: ['settings.get'],
  }),
} as const;
