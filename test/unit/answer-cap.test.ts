import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import type { OperationSpec } from '../../src-shared/operations';
import type { ServerMessage } from '../../src-shared/wire';
import { AuditLog } from '../../src-main/engine/audit/audit-log';
import { ConfirmationTokens } from '../../src-main/engine/audit/confirmations';
import { createDispatcher, type CallContext } from '../../src-main/engine/dispatch/dispatcher';

/** The answer cap of a session, with a cap of 1,000 bytes so answers of a few kB cross it. */
const operations: Record<string, OperationSpec> = {
  'blob.read': {
    summary: 'test: a result of `size` characters',
    input: z.strictObject({ size: z.number() }),
    result: z.object({ blob: z.string() }),
    effect: 'none',
  },
  'blob.watch': {
    summary: 'test: a stream of items of `sizes` characters',
    input: z.strictObject({ sizes: z.array(z.number()) }),
    result: z.object({}),
    effect: 'none',
    stream: z.object({ blob: z.string() }),
  },
};

async function session(keepOversized?: (op: string, data: unknown) => Promise<string | undefined>) {
  let aborted = false;
  const dispatcher = createDispatcher({
    operations,
    handlers: {
      'blob.read': async ({ size }: { size: number }) => ({ blob: 'x'.repeat(size) }),
      'blob.watch': async ({ sizes }: { sizes: number[] }, context: CallContext) => {
        for (const size of sizes) if (!context.signal.aborted) context.emit({ blob: 'x'.repeat(size) } as never);
        aborted = context.signal.aborted;
        return {};
      },
    } as never,
    audit: new AuditLog(await mkdtemp(join(tmpdir(), 'chrono-cap-'))),
    confirmations: new ConfirmationTokens(),
    isReadOnly: async () => false,
    user: 'alice',
  });
  const sent: ServerMessage[] = [];
  const texts: string[] = [];
  const opened = dispatcher.openSession(
    (message, json) => {
      sent.push(message);
      texts.push(json);
    },
    { maxAnswerBytes: 1000, ...(keepOversized ? { keepOversized } : {}) },
  );
  const result = async (id: string) => {
    while (!sent.some((m) => m.t === 'result' && m.id === id)) await new Promise((resolve) => setImmediate(resolve));
    return sent.find((m) => m.t === 'result' && m.id === id);
  };
  return { opened, sent, texts, result, aborted: () => aborted };
}

describe('answer cap', () => {
  it('sends an answer within the cap as the JSON text the host will send', async () => {
    const { opened, texts, result } = await session();
    opened.receive({ t: 'call', id: 'small', op: 'blob.read', input: { size: 900 } });
    expect(await result('small')).toMatchObject({ ok: true, data: { blob: 'x'.repeat(900) } });
    expect(JSON.parse(texts[0]!)).toEqual({ t: 'result', id: 'small', ok: true, data: { blob: 'x'.repeat(900) } });
  });

  it('refuses a result over the cap with its size, the cap and what to do, or where the host kept it', async () => {
    const plain = await session();
    plain.opened.receive({ t: 'call', id: 'big', op: 'blob.read', input: { size: 2 * 1024 * 1024 } });
    expect(await plain.result('big')).toEqual({
      t: 'result',
      id: 'big',
      ok: false,
      error: {
        code: 'unavailable',
        message:
          'The answer to blob.read is 2.0 MB, more than the 1 kB one answer may carry: narrow the request (an earlier version, a shorter range, fewer steps or items) and try again.',
        details: { bytes: JSON.stringify({ t: 'result', id: 'big', ok: true, data: { blob: 'x'.repeat(2 * 1024 * 1024) } }).length, limit: 1000 },
      },
    });

    const kept: unknown[] = [];
    const keeping = await session(async (_op, data) => {
      kept.push(data);
      return 'It was saved as a file instead: download it from /downloads/blob.json.';
    });
    keeping.opened.receive({ t: 'call', id: 'big', op: 'blob.read', input: { size: 5000 } });
    expect(await keeping.result('big')).toMatchObject({
      ok: false,
      error: {
        message: expect.stringMatching(/more than the 1 kB one answer may carry\. It was saved as a file instead: download it from \/downloads\/blob\.json\.$/),
        details: { kept: true },
      },
    });
    expect(kept).toEqual([{ blob: 'x'.repeat(5000) }]);
  });

  it('stops a stream whose item is over the cap and ends it with a sentence, after sending the items that fit', async () => {
    const { opened, sent, result, aborted } = await session();
    opened.receive({ t: 'call', id: 'w', op: 'blob.watch', input: { sizes: [10, 5000, 10] } });
    expect(await result('w')).toMatchObject({
      ok: false,
      error: {
        code: 'unavailable',
        message: expect.stringMatching(/^One update of blob\.watch is 5 kB, more than the 1 kB one answer may carry: the view was stopped\. Narrow it/),
      },
    });
    expect(sent.filter((m) => m.t === 'data')).toEqual([{ t: 'data', id: 'w', data: { blob: 'x'.repeat(10) } }]);
    expect(aborted()).toBe(true);
  });
});
