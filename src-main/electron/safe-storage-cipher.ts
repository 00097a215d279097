import type { SecretCipher } from '../engine/connections/secret-store';
import type { ElectronModule } from './electron-types';

/**
 * Secrets encrypted by the OS keychain through Electron's safeStorage. When the
 * OS offers no encryption we say so and keep secrets in memory: no silent
 * fallback to a weak key.
 */
export function safeStorageCipher(safeStorage: ElectronModule['safeStorage']): { cipher?: SecretCipher; note?: string } {
  if (!safeStorage.isEncryptionAvailable()) {
    return { note: 'The operating system offers no secret encryption (safeStorage unavailable): passwords are kept in memory for this session only.' };
  }
  return {
    cipher: {
      name: 'Electron safeStorage (OS keychain)',
      encrypt: (plain) => safeStorage.encryptString(plain).toString('base64'),
      decrypt: (sealed) => safeStorage.decryptString(Buffer.from(sealed, 'base64')),
    },
  };
}
