import type { Handlers } from '../dispatch/dispatcher';
import type { SecretCipher } from '../connections/secret-store';
import type { LocalWorkspace } from '../local-workspace/local-workspace';
import { APP_VERSION } from '../version';

export interface AppHandlerDeps {
  mode: 'desktop' | 'browser';
  user: string;
  dataDir: string;
  cipher: SecretCipher | undefined;
  cipherNote: string | undefined;
  local: LocalWorkspace;
}

/** Facts about this Chronoscope itself. */
export function appHandlers({ mode, user, dataDir, cipher, cipherNote, local }: AppHandlerDeps): Pick<Handlers, 'app.info'> {
  return {
    'app.info': async () => ({
      name: 'Chronoscope',
      version: APP_VERSION,
      mode,
      user,
      platform: `${process.platform} ${process.arch}, Node ${process.versions.node}${process.versions.electron ? `, Electron ${process.versions.electron}` : ''}`,
      dataDir,
      secretStorage: cipher
        ? { kind: 'safeStorage', note: `Secrets are encrypted at rest with ${cipher.name}.` }
        : {
            kind: 'memory',
            note: cipherNote ?? 'Secrets are kept in memory only (or read from CHRONOSCOPE_SECRET_<ID> variables) and are never written to disk.',
          },
      localWorkspace: { state: local.state, ...(local.message ? { message: local.message } : {}) },
    }),
  };
}
