/**
 * The framing of a binary COPY of replay tuples into batches: whatever way the bytes are cut
 * into chunks, the pages hold every tuple once, in order, as one JSON array each.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CopyTupleFramer, copyTuplePages, type CopyTuplePage } from '../../../src-main/stores/postgres/copy-tuple-pages';

const SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]);

/** A binary COPY of one text column per row, as PostgreSQL writes it. */
function binaryCopy(rows: string[]): Buffer {
  const parts: Buffer[] = [SIGNATURE, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0])];
  for (const row of rows) {
    const bytes = Buffer.from(row, 'utf8');
    const head = Buffer.alloc(6);
    head.writeInt16BE(1, 0);
    head.writeInt32BE(bytes.length, 2);
    parts.push(head, bytes);
  }
  parts.push(Buffer.from([0xff, 0xff]));
  return Buffer.concat(parts);
}

const tuple = (v: number) =>
  JSON.stringify([v, v % 2 ? 'Odd' : 'Even', { n: v, text: 'é "quoted" \\ back\nslash' }, {}, `2025-01-01T00:00:0${v % 10}.000Z`, String(v), null, null, null]);

describe('CopyTupleFramer', () => {
  const rows = Array.from({ length: 23 }, (_, i) => tuple(i + 1));
  const copy = binaryCopy(rows);

  it.each([1, 2, 3, 7, 64, copy.length])('frames the rows into pages whatever the chunk size (%i bytes)', (size) => {
    const pages: CopyTuplePage[] = [];
    const framer = new CopyTupleFramer(5, (page) => pages.push(page));
    for (let at = 0; at < copy.length; at += size) framer.push(copy.subarray(at, at + size));
    framer.flush();
    expect(framer.finished).toBe(true);
    expect(pages.map((p) => p.count)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.flatMap((p) => JSON.parse(p.events) as unknown[])).toEqual(rows.map((r) => JSON.parse(r)));
    expect(pages.at(-1)!.last).toEqual({ version: 23, type: 'Odd', timestamp: '2025-01-01T00:00:03.000Z' });
    expect(pages[0]!.last).toEqual({ version: 5, type: 'Odd', timestamp: '2025-01-01T00:00:05.000Z' });
  });

  it('counts passed rows (types not shipped) without shipping them, and reports one that ends a page', () => {
    const mixed = Array.from({ length: 12 }, (_, i) => (i % 3 === 2 ? `!${tuple(i + 1)}` : tuple(i + 1)));
    const pages: CopyTuplePage[] = [];
    const framer = new CopyTupleFramer(6, (page) => pages.push(page));
    framer.push(binaryCopy(mixed));
    framer.flush();
    expect(pages.map((p) => [p.count, p.read])).toEqual([
      [4, 6],
      [4, 6],
    ]);
    expect(pages.flatMap((p) => (JSON.parse(p.events) as number[][]).map((t) => t[0]))).toEqual([1, 2, 4, 5, 7, 8, 10, 11]);
    expect(pages.map((p) => p.last.version)).toEqual([6, 12]);
    const passedOnly: CopyTuplePage[] = [];
    const quiet = new CopyTupleFramer(6, (page) => passedOnly.push(page));
    quiet.push(binaryCopy([`!${tuple(1)}`, `!${tuple(2)}`]));
    quiet.flush();
    expect(passedOnly).toEqual([{ events: '[]', count: 0, read: 2, last: { version: 2, type: 'Even', timestamp: '2025-01-01T00:00:02.000Z' } }]);
  });

  it('refuses what is not a binary COPY of one column', () => {
    expect(() => new CopyTupleFramer(5, () => undefined).push(Buffer.from('1\tAccountOpened\n'.repeat(3)))).toThrow(/binary COPY/);
    const twoColumns = Buffer.concat([SIGNATURE, Buffer.alloc(8), Buffer.from([0, 2, 0, 0, 0, 1, 0x31])]);
    expect(() => new CopyTupleFramer(5, () => undefined).push(twoColumns)).toThrow(/2 columns/);
  });
});

describe('copyTuplePages', () => {
  it('reads ahead up to its bound, pausing the stream, and yields every page', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => tuple(i + 1));
    const stream = new PassThrough();
    const pages = copyTuplePages(stream, 4, 2);
    stream.end(binaryCopy(rows));
    const first = await pages.next();
    expect(first.value).toMatchObject({ count: 4 });
    expect(stream.isPaused()).toBe(true); // two pages queued: the copy waits
    let count = 4;
    for await (const page of pages) count += page.count;
    expect(count).toBe(40);
  });

  it('fails when the copy ends before its trailer', async () => {
    const stream = new PassThrough();
    const pages = copyTuplePages(stream, 4, 2);
    const cut = binaryCopy([tuple(1), tuple(2)]);
    stream.end(cut.subarray(0, cut.length - 2));
    await expect(
      (async () => {
        for await (const page of pages) void page;
      })(),
    ).rejects.toThrow(/before its trailer/);
  });
});
