import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where Chronoscope keeps profiles, secrets, the audit log and the Local workspace outside Electron. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CHRONOSCOPE_DATA_DIR) return env.CHRONOSCOPE_DATA_DIR;
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Chronoscope');
  if (process.platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Chronoscope');
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'chronoscope');
}
