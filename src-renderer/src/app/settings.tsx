import { createContext, useContext, useLayoutEffect, type ReactNode } from 'react';
import { DEFAULT_SETTINGS, type AppSettings } from '../../../src-shared/schemas/settings';
import { useOperation } from '../client/operation-hooks';
import { setDisplayZone } from '../ui/time';
import '../styles/dark.css';

const SettingsContext = createContext<AppSettings>(DEFAULT_SETTINGS);

let current: AppSettings = DEFAULT_SETTINGS;

/** The settings outside React (page sizes read by the paging hooks). */
export function currentSettings(): AppSettings {
  return current;
}

/** Loads the settings the main process keeps, and applies the time zone and theme everywhere. */
export function SettingsProvider({ children }: { children: ReactNode }) {
  const { data } = useOperation('settings.get', {}, { staleTime: Infinity });
  const settings = data?.settings ?? DEFAULT_SETTINGS;
  current = settings;
  setDisplayZone(settings.timeZone);
  useLayoutEffect(() => {
    document.documentElement.dataset.theme = settings.theme;
  }, [settings.theme]);
  return <SettingsContext.Provider value={settings}>{children}</SettingsContext.Provider>;
}

export function useSettings(): AppSettings {
  return useContext(SettingsContext);
}
