/**
 * Where browser mode's session token comes from: a fresh random one per start
 * (the default), a token file kept across restarts, or CHRONOSCOPE_TOKEN.
 * A kept token lets an open tab reconnect by itself after a restart; it is
 * refused when it could be read or guessed by someone else.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export const TOKEN_ENV = 'CHRONOSCOPE_TOKEN';
/** The token file `--persist-token` keeps in the data directory. */
export const DEFAULT_TOKEN_FILE_NAME = 'browser-token';
export const MIN_TOKEN_LENGTH = 32;
/** The estimated entropy a given token must reach; a random base64url token of 32 characters has about 150. */
export const MIN_TOKEN_BITS = 128;
/** Characters that pass through a URL query and a cookie unchanged. */
const TOKEN_CHARACTERS = /^[A-Za-z0-9._~-]+$/;

export interface SessionToken {
  token: string;
  /** Where it came from, for the one line `serve` prints about it (never the token itself). */
  source: 'random' | 'file' | 'env';
  /** The token file, when it came from one. */
  file?: string;
  /** Whether the file was made by this start. */
  created?: boolean;
}

export class TokenSourceError extends Error {}

export const randomToken = (): string => randomBytes(32).toString('base64url');

/** The token file asked for: `--token-file PATH`, or `--persist-token`'s file in the data directory, or none. */
export function tokenFileOf(options: { tokenFile?: string; persistToken?: boolean }, dataDir: string): string | undefined {
  if (options.tokenFile) return options.tokenFile;
  return options.persistToken ? join(dataDir, DEFAULT_TOKEN_FILE_NAME) : undefined;
}

/** Why a token is too weak to keep across restarts, or undefined when it is strong enough. */
export function tokenWeakness(token: string): string | undefined {
  if (token.length < MIN_TOKEN_LENGTH) return `it has ${token.length} characters; at least ${MIN_TOKEN_LENGTH} are needed`;
  if (!TOKEN_CHARACTERS.test(token)) return 'it may hold only A-Z, a-z, 0-9 and - . _ ~ (it travels in a URL and a cookie)';
  const bits = estimatedBits(token);
  if (bits < MIN_TOKEN_BITS) return `it looks guessable (about ${Math.floor(bits)} bits of entropy; at least ${MIN_TOKEN_BITS} are needed)`;
  if (mostlyRunsOrSequences(token)) return 'it is mostly repeated or consecutive characters';
  return undefined;
}

/**
 * The token to serve with. `tokenFile` (created with mode 0600 when missing) and
 * the environment's CHRONOSCOPE_TOKEN keep one token across restarts; with
 * neither, a random one. Throws TokenSourceError with a message for the operator.
 */
export async function loadSessionToken(options: { tokenFile?: string; env?: NodeJS.ProcessEnv; dataDir?: string }): Promise<SessionToken> {
  const fromEnv = (options.env ?? process.env)[TOKEN_ENV];
  if (fromEnv !== undefined && options.tokenFile) {
    throw new TokenSourceError(`Give the token one way: ${TOKEN_ENV} is set and a token file was asked for too.`);
  }
  if (fromEnv !== undefined) {
    const weakness = tokenWeakness(fromEnv);
    if (weakness) throw new TokenSourceError(`${TOKEN_ENV} is refused: ${weakness}. Make one with \`openssl rand -hex 32\`.`);
    return { token: fromEnv, source: 'env' };
  }
  if (options.tokenFile) return loadTokenFile(options.tokenFile, options.dataDir);
  return { token: randomToken(), source: 'random' };
}

async function loadTokenFile(file: string, dataDir: string | undefined): Promise<SessionToken> {
  // The data directory's own file may be asked for before the engine has made the directory.
  if (dataDir && file === join(dataDir, DEFAULT_TOKEN_FILE_NAME)) await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const created = await createTokenFile(file);
  if (created) return { token: created, source: 'file', file, created: true };
  return { token: await readTokenFile(file), source: 'file', file, created: false };
}

/** Writes a new random token to a file that did not exist (never over one that does); undefined when it exists. */
async function createTokenFile(file: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw new TokenSourceError(`The token file ${file} could not be created: ${(error as Error).message}`);
  }
  try {
    const token = randomToken();
    await handle.writeFile(`${token}\n`);
    await handle.sync();
    return token;
  } catch (error) {
    // A half-written file would refuse every later start: this call made it, so it removes it.
    await handle.close().catch(() => undefined);
    handle = undefined;
    await unlink(file).catch(() => undefined);
    throw new TokenSourceError(`The token file ${file} could not be written: ${(error as Error).message}`);
  } finally {
    await handle?.close();
  }
}

/** Reads a token file that only its owner, this user, can read or write; anything looser is refused. */
async function readTokenFile(file: string): Promise<string> {
  let handle;
  try {
    // O_NOFOLLOW: a symlink planted in place of the file is refused rather than followed.
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    throw new TokenSourceError(`The token file ${file} could not be opened: ${(error as Error).message}`);
  }
  try {
    // Checked on the opened file, so it cannot be swapped between the check and the read.
    const info = await handle.stat();
    if (!info.isFile()) throw new TokenSourceError(`The token file ${file} is not a regular file.`);
    const uid = process.getuid?.();
    if (uid !== undefined && info.uid !== uid)
      throw new TokenSourceError(`The token file ${file} belongs to another user (uid ${info.uid}); it must be yours.`);
    // Windows reports no POSIX permission bits (0o666 for any file): its ACLs are not read here.
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
      throw new TokenSourceError(`The token file ${file} is readable or writable by others (mode ${mode}): run \`chmod 600 ${file}\`.`);
    }
    const token = (await handle.readFile('utf8')).trim();
    const weakness = tokenWeakness(token);
    if (weakness) throw new TokenSourceError(`The token in ${file} is refused: ${weakness}. Delete the file to have a new one made.`);
    return token;
  } finally {
    await handle.close();
  }
}

/** Length times the Shannon entropy of the token's own characters: low for repeats and small alphabets. */
function estimatedBits(token: string): number {
  const counts = new Map<string, number>();
  for (const character of token) counts.set(character, (counts.get(character) ?? 0) + 1);
  let perCharacter = 0;
  for (const count of counts.values()) {
    const p = count / token.length;
    perCharacter -= p * Math.log2(p);
  }
  return perCharacter * token.length;
}

/** True when half or more of the neighbouring pairs repeat or step by one (`aaaa`, `abcd`, `4321`). */
function mostlyRunsOrSequences(token: string): boolean {
  let steps = 0;
  for (let i = 1; i < token.length; i++) {
    if (Math.abs(token.charCodeAt(i) - token.charCodeAt(i - 1)) <= 1) steps += 1;
  }
  return steps * 2 >= token.length - 1;
}
