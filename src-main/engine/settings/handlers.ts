import type { Handlers } from '../dispatch/dispatcher';
import type { SettingsStore } from './settings-store';

/** The Settings screen's operations. */
export function settingsHandlers({ settings, dataDir }: { settings: SettingsStore; dataDir: string }): Pick<Handlers, 'settings.get' | 'settings.update'> {
  return {
    'settings.get': async () => ({ settings: await settings.get(), dataDir }),
    'settings.update': async ({ reason: _reason, dryRun: _dryRun, confirmation: _confirmation, ...change }) => ({ settings: await settings.update(change), dataDir }),
  };
}
