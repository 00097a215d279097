import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Zip, ZipDeflate } from 'fflate';

/**
 * Packs files of one folder into a new zip file (created exclusively, mode 0600), streamed
 * file by file with back-pressure: a bundle of many events never sits in memory. So a
 * folder made for a person (an access export) can be downloaded or saved as one file.
 * A failure removes the partial zip.
 */
export async function zipFiles(folder: string, files: readonly string[], zipPath: string, signal?: AbortSignal): Promise<number> {
  const out = createWriteStream(zipPath, { flags: 'wx', mode: 0o600 });
  await once(out, 'open');
  let failure: Error | undefined;
  out.on('error', (err) => (failure = err));
  const zip = new Zip((err, chunk, final) => {
    if (err) failure = err;
    else {
      out.write(chunk);
      if (final) out.end();
    }
  });
  try {
    for (const name of files) {
      const entry = new ZipDeflate(name, { level: 6 });
      zip.add(entry);
      for await (const data of createReadStream(join(folder, name))) {
        signal?.throwIfAborted();
        entry.push(data as Buffer);
        if (failure) throw failure;
        if (out.writableNeedDrain) await once(out, 'drain');
      }
      entry.push(new Uint8Array(0), true);
    }
    zip.end();
    if (!out.writableFinished) await once(out, 'finish');
    if (failure) throw failure;
    return out.bytesWritten;
  } catch (err) {
    zip.terminate();
    out.destroy();
    await unlink(zipPath).catch(() => undefined);
    throw err;
  }
}
