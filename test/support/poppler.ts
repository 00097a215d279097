import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The text of a PDF as poppler's `pdftotext` reads it, whitespace folded to single spaces. */
export async function pdfText(pdfPath: string): Promise<string> {
  const { stdout } = await run('pdftotext', ['-enc', 'UTF-8', pdfPath, '-'], { maxBuffer: 64 * 1024 * 1024 });
  return stdout.replace(/\s+/g, ' ').trim();
}

/** Page count, from `pdfinfo`. */
export async function pdfPages(pdfPath: string): Promise<number> {
  const { stdout } = await run('pdfinfo', [pdfPath]);
  return Number(/^Pages:\s+(\d+)/m.exec(stdout)?.[1] ?? 0);
}

/** The first page rendered by poppler's `pdftoppm` to `<pngBase>.png` (96 dpi); returns the PNG bytes. */
export async function renderFirstPage(pdfPath: string, pngBase: string): Promise<Buffer> {
  await run('pdftoppm', ['-png', '-r', '96', '-f', '1', '-l', '1', '-singlefile', pdfPath, pngBase]);
  return readFile(`${pngBase}.png`);
}
