/**
 * A PDF rendered to PNG by Chromium itself: its built-in viewer (PDFium) shows the
 * bytes embedded in a page served from a route, and the viewer's scripting
 * messages (`selectAll`, `getSelectedText`) give back the text it extracted.
 * No PDF library and no poppler: only the browser the suite already drives.
 */
import { writeFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';

export interface RenderedPdf {
  /** The text of every page, as the viewer extracts it. */
  text: string;
  png: { path: string; bytes: number; width: number; height: number };
}

const ORIGIN = 'http://pdf-render.test';
/** A screenshot of the viewer with painted text is larger than this; a blank page is a few kB. */
const PAINTED_BYTES = 10_000;

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.subarray(1, 4).toString('latin1') !== 'PNG') throw new Error('not a PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

export async function renderPdf(browser: Browser, pdf: Buffer, pngPath: string, viewport = { width: 1000, height: 1300 }): Promise<RenderedPdf> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  try {
    const page = await context.newPage();
    // Every message the viewer posts to its embedder is kept, so the test can wait for the one it needs.
    await page.addInitScript('window.__pdfMessages = []; window.addEventListener("message", (e) => window.__pdfMessages.push(e.data));');
    await page.route(`${ORIGIN}/**`, (route) =>
      route.request().url().endsWith('/report.pdf')
        ? route.fulfill({ body: pdf, contentType: 'application/pdf' })
        : route.fulfill({
            contentType: 'text/html',
            // No toolbar or thumbnails: the picture is the pages.
            body: '<body style="margin:0;background:#525659"><embed id="pdf" src="/report.pdf#toolbar=0&navpanes=0&view=Fit" type="application/pdf" style="display:block;width:100vw;height:100vh"></body>',
          }),
    );
    await page.goto(`${ORIGIN}/`);
    const messages = (type: string) => page.evaluate(`window.__pdfMessages.filter((m) => m && m.type === ${JSON.stringify(type)})`) as Promise<Record<string, unknown>[]>;
    // The viewer talks to its embedder once the embedder has written to it: each poll says hello until it reports the load.
    await page.waitForFunction(
      'document.getElementById("pdf").postMessage({ type: "getSelectedText" }), window.__pdfMessages.some((m) => m && m.type === "documentLoaded")',
      undefined,
      { timeout: 30_000, polling: 250 },
    );
    const [loaded] = await messages('documentLoaded');
    if (loaded?.load_state !== 'success') throw new Error(`Chromium's PDF viewer could not load the document: ${JSON.stringify(loaded)}`);

    // The viewer paints its tiles after loading: the picture is taken once two shots in a row agree
    // and hold more than a blank page would (an empty viewer compresses to a few kB).
    let shot = await page.screenshot();
    for (let i = 0; i < 100; i++) {
      const next = await page.screenshot();
      const settled = next.equals(shot) && next.length > PAINTED_BYTES;
      shot = next;
      if (settled) break;
    }
    await writeFile(pngPath, shot);

    await page.evaluate('window.__pdfMessages = []; document.getElementById("pdf").postMessage({ type: "selectAll" }); document.getElementById("pdf").postMessage({ type: "getSelectedText" });');
    await page.waitForFunction('window.__pdfMessages.some((m) => m && m.type === "getSelectedTextReply")', undefined, { timeout: 30_000 });
    const [reply] = await messages('getSelectedTextReply');
    return { text: String(reply?.selectedText ?? ''), png: { path: pngPath, bytes: shot.length, ...pngSize(shot) } };
  } finally {
    await context.close();
  }
}
