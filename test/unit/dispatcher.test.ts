import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { beforeEach, describe, expect, it } from 'vitest';
import type { OperationSpec } from '../../src-shared/operations';
import type { ServerMessage } from '../../src-shared/wire';
import { AuditLog } from '../../src-main/engine/audit/audit-log';
import { ConfirmationTokens } from '../../src-main/engine/audit/confirmations';
import { createDispatcher, redact, type CallContext } from '../../src-main/transport/dispatcher';

// A table of its own: the guards are generic, so they are tested with operations
// shaped like later ones (a write to a connected system, a destructive purge).
const operations: Record<string, OperationSpec> = {
  'checkpoint.reset': {
    summary: 'test: a write to the target system',
    input: z.strictObject({ connectionId: z.string(), position: z.number(), reason: z.string().optional(), dryRun: z.boolean().optional(), confirmation: z.string().optional() }),
    result: z.object({ position: z.number() }),
    effect: 'target',
    connectionOf: (input: { connectionId: string }) => input.connectionId,
    target: (input: { connectionId: string }) => `checkpoint@${input.connectionId}`,
  } as OperationSpec,
  'events.purge': {
    summary: 'test: destructive',
    input: z.strictObject({ connectionId: z.string(), subject: z.string(), reason: z.string().optional(), dryRun: z.boolean().optional(), confirmation: z.string().optional() }),
    result: z.object({ events: z.number(), purged: z.boolean() }),
    effect: 'target',
    destructive: true,
    connectionOf: (input: { connectionId: string }) => input.connectionId,
  } as OperationSpec,
  'slow.read': { summary: 'test: cancellable', input: z.strictObject({}), result: z.object({}), effect: 'none' },
};

describe('dispatcher', () => {
  let audit: AuditLog;
  let executed: string[];
  let dispatcher: ReturnType<typeof createDispatcher>;
  const readOnly = new Set(['prod']);

  beforeEach(async () => {
    audit = new AuditLog(await mkdtemp(join(tmpdir(), 'chrono-dispatch-')));
    executed = [];
    dispatcher = createDispatcher({
      operations,
      handlers: {
        'checkpoint.reset': async (input: { position: number; dryRun?: boolean }) => {
          if (!input.dryRun) executed.push('reset');
          return { position: input.position };
        },
        'events.purge': async (input: { dryRun?: boolean }) => {
          if (!input.dryRun) executed.push('purge');
          return { events: 12, purged: !input.dryRun };
        },
        'slow.read': (_input: unknown, context: CallContext) =>
          new Promise((_resolve, reject) => context.signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })))),
      } as never,
      audit,
      confirmations: new ConfirmationTokens(),
      isReadOnly: async (id) => readOnly.has(id),
      user: 'alice',
    });
  });

  const context = (): CallContext => ({ operationId: 'op-1', signal: new AbortController().signal, emit: () => undefined, progress: () => undefined });

  it('refuses a state-changing operation on a read-only profile, and audits the refusal', async () => {
    await expect(dispatcher.run('checkpoint.reset', { connectionId: 'prod', position: 5, reason: 'OPS-1' }, context())).rejects.toMatchObject({
      code: 'read_only',
      message: expect.stringContaining('read-only'),
    });
    expect(executed).toEqual([]);
    const [record] = (await audit.list({ limit: 10 })).records;
    expect(record).toMatchObject({ operation: 'checkpoint.reset', target: 'checkpoint@prod', outcome: 'refused', errorCode: 'read_only', reason: 'OPS-1', user: 'alice' });
  });

  it('runs it on a read-write profile and audits the outcome', async () => {
    await expect(dispatcher.run('checkpoint.reset', { connectionId: 'staging', position: 7 }, context())).resolves.toEqual({ position: 7 });
    expect(executed).toEqual(['reset']);
    expect((await audit.list({ limit: 1 })).records[0]).toMatchObject({ outcome: 'ok', dryRun: false });
  });

  it('requires a dry run before a destructive operation, bound to the same input', async () => {
    const input = { connectionId: 'staging', subject: 'customer-42', reason: 'GDPR-7' };
    await expect(dispatcher.run('events.purge', input, context())).rejects.toMatchObject({ code: 'confirmation_required' });
    const preview = (await dispatcher.run('events.purge', { ...input, dryRun: true }, context())) as { events: number; confirmation: string };
    expect(preview.events).toBe(12);
    expect(executed).toEqual([]);
    await expect(dispatcher.run('events.purge', { ...input, subject: 'customer-43', confirmation: preview.confirmation }, context())).rejects.toMatchObject({
      code: 'confirmation_required',
      details: { verdict: 'mismatch' },
    });
    await expect(dispatcher.run('events.purge', { ...input, confirmation: preview.confirmation }, context())).resolves.toMatchObject({ purged: true });
    expect(executed).toEqual(['purge']);
    const outcomes = (await audit.list({ limit: 10 })).records.map((r) => `${r.dryRun ? 'dry' : 'real'}:${r.outcome}`);
    expect(outcomes).toEqual(['real:ok', 'real:refused', 'dry:ok', 'real:refused']);
    expect((await audit.verify()).ok).toBe(true);
  });

  it('validates before anything runs or is audited', async () => {
    await expect(dispatcher.run('checkpoint.reset', { connectionId: 'staging', position: 'ten' }, context())).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('position'),
    });
    await expect(dispatcher.run('no.such.op', {}, context())).rejects.toMatchObject({ code: 'unknown_operation' });
    expect((await audit.list({ limit: 10 })).records).toEqual([]);
  });

  it('answers over a session with envelopes and cancels by operation id', async () => {
    const sent: ServerMessage[] = [];
    const session = dispatcher.openSession((m) => sent.push(m));
    session.receive({ t: 'call', id: 'a', op: 'slow.read', input: {} });
    session.receive({ t: 'call', id: 'b', op: 'checkpoint.reset', input: { connectionId: 'prod', position: 1 } });
    session.receive({ t: 'cancel', id: 'a' });
    session.receive('not a message');
    await new Promise((r) => setTimeout(r, 50));
    expect(sent).toContainEqual({ t: 'result', id: 'a', ok: false, error: { code: 'cancelled', message: 'The operation was cancelled.' } });
    expect(sent).toContainEqual(expect.objectContaining({ t: 'result', id: 'b', ok: false, error: expect.objectContaining({ code: 'read_only' }) }));
  });

  it('cancels what a closed session still runs', async () => {
    const sent: ServerMessage[] = [];
    const session = dispatcher.openSession((m) => sent.push(m));
    session.receive({ t: 'call', id: 'a', op: 'slow.read', input: {} });
    session.close();
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toEqual([]);
  });

  it('keeps secrets out of audit details', () => {
    expect(redact({ name: 'x', secret: 'hunter2', settings: { password: 'p', host: 'h' }, confirmation: 't' })).toEqual({
      name: 'x',
      secret: '[redacted]',
      settings: { password: '[redacted]', host: 'h' },
      confirmation: '[redacted]',
    });
  });
});
