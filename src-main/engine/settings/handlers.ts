import type { AppSettings } from '../../../src-shared/schemas/settings';
import type { Handlers } from '../dispatch/dispatcher';
import type { SettingsStore } from './settings-store';

export interface SettingsHandlerDeps {
  settings: SettingsStore;
  dataDir: string;
  /** Told after each saved change, so what the settings drive (the lag samplers) follows at once. */
  onChange?: (next: AppSettings) => Promise<void>;
}

/** The Settings screen's operations. */
export function settingsHandlers({ settings, dataDir, onChange }: SettingsHandlerDeps): Pick<Handlers, 'settings.get' | 'settings.update'> {
  return {
    'settings.get': async () => ({ settings: await settings.get(), dataDir }),
    'settings.update': async ({ reason: _reason, dryRun: _dryRun, confirmation: _confirmation, ...change }) => {
      const next = await settings.update(change);
      await onChange?.(next);
      return { settings: next, dataDir };
    },
  };
}
