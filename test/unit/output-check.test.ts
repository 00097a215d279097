import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import type { OperationSpec } from '../../src-shared/operations';
import { AuditLog } from '../../src-main/engine/audit/audit-log';
import { ConfirmationTokens } from '../../src-main/engine/audit/confirmations';
import { createDispatcher, type OutputMismatch } from '../../src-main/engine/dispatch/dispatcher';

const operations: Record<string, OperationSpec> = {
  'things.count': { summary: 'test', input: z.strictObject({ answer: z.unknown() }), result: z.object({ count: z.number(), at: z.string() }), effect: 'none' },
  'things.watch': { summary: 'test', input: z.strictObject({ item: z.unknown() }), result: z.object({}), stream: z.object({ n: z.number() }), effect: 'none' },
};

async function dispatcherReporting(mismatches: OutputMismatch[]) {
  return createDispatcher({
    operations,
    handlers: {
      'things.count': async (input: { answer: unknown }) => input.answer,
      'things.watch': async (input: { item: unknown }, context: { emit(data: unknown): void }) => {
        context.emit(input.item);
        return {};
      },
    },
    audit: new AuditLog(await mkdtemp(join(tmpdir(), 'chrono-output-'))),
    confirmations: new ConfirmationTokens(),
    isReadOnly: async () => false,
    user: 't',
    onOutputMismatch: (mismatch) => mismatches.push(mismatch),
  });
}

const context = () => ({ operationId: 't', signal: new AbortController().signal, emit: () => undefined, progress: () => undefined });

describe('checking answers against the contract', () => {
  it('reports a result that breaks its schema, naming the field', async () => {
    const mismatches: OutputMismatch[] = [];
    const dispatcher = await dispatcherReporting(mismatches);
    await dispatcher.run('things.count', { answer: { count: '3', at: 'now' } }, context());
    expect(mismatches).toEqual([{ operation: 'things.count', kind: 'result', problems: [{ field: 'count', message: expect.stringContaining('number') }] }]);
  });

  it('checks what goes over the wire: a Date is sent as its ISO string', async () => {
    const mismatches: OutputMismatch[] = [];
    const dispatcher = await dispatcherReporting(mismatches);
    await dispatcher.run('things.count', { answer: { count: 3, at: new Date() } }, context());
    expect(mismatches).toEqual([]);
  });

  it('reports an emitted item that breaks the stream schema', async () => {
    const mismatches: OutputMismatch[] = [];
    const dispatcher = await dispatcherReporting(mismatches);
    await dispatcher.run('things.watch', { item: { n: 1 } }, context());
    expect(mismatches).toEqual([]);
    await dispatcher.run('things.watch', { item: { n: 'one' } }, context());
    expect(mismatches.map((m) => [m.kind, m.problems[0]!.field])).toEqual([['data', 'n']]);
  });
});
