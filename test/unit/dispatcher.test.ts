import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { beforeEach, describe, expect, it } from 'vitest';
import { ChronoError } from '../../src-shared/errors';
import type { OperationSpec } from '../../src-shared/operations';
import type { ServerMessage } from '../../src-shared/wire';
import { AuditLog } from '../../src-main/engine/audit/audit-log';
import { ConfirmationTokens } from '../../src-main/engine/audit/confirmations';
import { MAX_CALLS_IN_FLIGHT, MAX_STREAMS_IN_FLIGHT, createDispatcher, redact, type CallContext } from '../../src-main/engine/dispatch/dispatcher';

// A table of its own: the guards are generic, so they are tested with operations
// shaped like later ones (a write to a connected system, a destructive purge).
const operations: Record<string, OperationSpec> = {
  'checkpoint.reset': {
    summary: 'test: a write to the target system',
    input: z.strictObject({
      connectionId: z.string(),
      position: z.number(),
      reason: z.string().optional(),
      dryRun: z.boolean().optional(),
      confirmation: z.string().optional(),
    }),
    result: z.object({ position: z.number() }),
    effect: 'target',
    target: (input: { connectionId: string }) => `checkpoint@${input.connectionId}`,
  } as OperationSpec,
  'events.purge': {
    summary: 'test: destructive',
    input: z.strictObject({
      connectionId: z.string(),
      subject: z.string(),
      reason: z.string().optional(),
      dryRun: z.boolean().optional(),
      confirmation: z.string().optional(),
    }),
    result: z.object({ events: z.number(), purged: z.boolean() }),
    effect: 'target',
    destructive: true,
  } as OperationSpec,
  // Shaped like compliance work that touches several connections at once.
  'compliance.erase': {
    summary: 'test: a write to several connected systems',
    input: z.strictObject({ connectionIds: z.array(z.string()), subject: z.string(), reason: z.string().optional(), dryRun: z.boolean().optional() }),
    result: z.object({ erased: z.number() }),
    effect: 'target',
  } as OperationSpec,
  'slow.read': { summary: 'test: cancellable', input: z.strictObject({}), result: z.object({}), effect: 'none' },
  'things.watch': { summary: 'test: a long-lived stream', input: z.strictObject({}), result: z.object({}), effect: 'none', stream: z.object({}) },
};

/** Settles when `condition` holds, checked once per turn of the event loop. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

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
        'compliance.erase': async (input: { connectionIds: string[]; dryRun?: boolean }) => {
          if (!input.dryRun) executed.push(`erase:${input.connectionIds.join(',')}`);
          return { erased: input.connectionIds.length };
        },
        'slow.read': (_input: unknown, context: CallContext) =>
          new Promise((_resolve, reject) =>
            context.signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }))),
          ),
        'things.watch': (_input: unknown, context: CallContext) => new Promise((resolve) => context.signal.addEventListener('abort', () => resolve({}))),
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
    expect(record).toMatchObject({
      operation: 'checkpoint.reset',
      target: 'checkpoint@prod',
      outcome: 'refused',
      errorCode: 'read_only',
      reason: 'OPS-1',
      user: 'alice',
    });
  });

  it('guards every connection an operation names: one read-only profile among several refuses it', async () => {
    await expect(dispatcher.run('compliance.erase', { connectionIds: ['staging', 'prod'], subject: 'customer-42' }, context())).rejects.toMatchObject({
      code: 'read_only',
      details: { connectionId: 'prod' },
    });
    await expect(dispatcher.run('compliance.erase', { connectionIds: [], subject: 'customer-42' }, context())).rejects.toMatchObject({ code: 'invalid_input' });
    expect(executed).toEqual([]);
    // A dry run changes nothing, so it may preview a read-only profile.
    await expect(dispatcher.run('compliance.erase', { connectionIds: ['staging', 'prod'], subject: 'customer-42', dryRun: true }, context())).resolves.toEqual({
      erased: 2,
    });
    await expect(dispatcher.run('compliance.erase', { connectionIds: ['staging', 'dev'], subject: 'customer-42' }, context())).resolves.toEqual({ erased: 2 });
    expect(executed).toEqual(['erase:staging,dev']);
  });

  it('will not start with a target operation that names no connection', () => {
    const unguardable: OperationSpec = {
      summary: 'test: writes somewhere',
      input: z.strictObject({ topic: z.string() }),
      result: z.object({}),
      effect: 'target',
    };
    expect(() =>
      createDispatcher({
        operations: { ...operations, 'topic.write': unguardable },
        handlers: {},
        audit,
        confirmations: new ConfirmationTokens(),
        isReadOnly: async () => false,
        user: 'alice',
      }),
    ).toThrow(/topic\.write/);
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
    await until(() => sent.filter((m) => m.t === 'result').length >= 2);
    expect(sent).toContainEqual({ t: 'result', id: 'a', ok: false, error: { code: 'cancelled', message: 'The operation was cancelled.' } });
    expect(sent).toContainEqual(expect.objectContaining({ t: 'result', id: 'b', ok: false, error: expect.objectContaining({ code: 'read_only' }) }));
  });

  it('refuses a call beyond the calls a session may have running, with a sentence saying to wait; open streams do not count', async () => {
    const sent: ServerMessage[] = [];
    const session = dispatcher.openSession((m) => sent.push(m));
    const results = () => sent.filter((m) => m.t === 'result');
    // Long-lived streams (tails, status) first: they must not use up the room of ordinary calls.
    for (let i = 0; i < MAX_STREAMS_IN_FLIGHT; i++) session.receive({ t: 'call', id: `watch-${i}`, op: 'things.watch', input: {} });
    for (let i = 0; i < MAX_CALLS_IN_FLIGHT; i++) session.receive({ t: 'call', id: `call-${i}`, op: 'slow.read', input: {} });
    expect(results()).toEqual([]);

    session.receive({ t: 'call', id: 'one-too-many', op: 'slow.read', input: {} });
    expect(results()).toEqual([
      {
        t: 'result',
        id: 'one-too-many',
        ok: false,
        error: {
          code: 'unavailable',
          message: expect.stringMatching(/16 requests are already running in this window: wait for some to finish/),
          details: { limit: 16 },
        },
      },
    ]);
    // Streams have a cap of their own.
    session.receive({ t: 'call', id: 'watch-too-many', op: 'things.watch', input: {} });
    expect(results().at(-1)).toMatchObject({
      id: 'watch-too-many',
      ok: false,
      error: { code: 'unavailable', message: expect.stringContaining('close one before opening another') },
    });

    // Once a call ends, there is room again.
    session.receive({ t: 'cancel', id: 'call-0' });
    await until(() => results().some((m) => m.id === 'call-0'));
    await new Promise((resolve) => setImmediate(resolve));
    session.receive({ t: 'call', id: 'after-one-ended', op: 'slow.read', input: {} });
    session.receive({ t: 'call', id: 'again-too-many', op: 'slow.read', input: {} });
    expect(results().map((m) => m.id)).toEqual(['one-too-many', 'watch-too-many', 'call-0', 'again-too-many']);
    // Another window has room of its own.
    const other: ServerMessage[] = [];
    const otherSession = dispatcher.openSession((m) => other.push(m));
    otherSession.receive({ t: 'call', id: 'elsewhere', op: 'slow.read', input: {} });
    expect(other).toEqual([]);
    session.close();
    otherSession.close();
  });

  it('cancels what a closed session still runs', async () => {
    const sent: ServerMessage[] = [];
    const session = dispatcher.openSession((m) => sent.push(m));
    session.receive({ t: 'call', id: 'a', op: 'slow.read', input: {} });
    session.close();
    // Nothing may be sent, so there is no condition to await: a moment for a (wrong) late answer to arrive.
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

  it('masks passwords written inside URIs and DSNs, wherever the field', () => {
    const input = {
      settings: { kind: 'mongo', uri: 'mongodb://ops:Pa55-in-uri@db1:27017,db2/app?authSource=admin' },
      notes: ['postgres://ops:pg-pa55@db/app', 'host=db user=ops password=dsn-pa55 dbname=app', 'mongodb://db/app?password=query-pa55&w=1'],
    };
    const recorded = JSON.stringify(redact(input));
    for (const secret of ['Pa55-in-uri', 'pg-pa55', 'dsn-pa55', 'query-pa55']) expect(recorded).not.toContain(secret);
    expect(redact(input)).toMatchObject({ settings: { uri: 'mongodb://ops:[redacted]@db1:27017,db2/app?authSource=admin' } });
  });

  it('masks a password a failure message repeats in the audit record', async () => {
    const failing = createDispatcher({
      operations,
      handlers: {
        'checkpoint.reset': async () => {
          throw new ChronoError('unavailable', 'Could not reach mongodb://ops:leaked-pa55@db/app.');
        },
      } as never,
      audit,
      confirmations: new ConfirmationTokens(),
      isReadOnly: async () => false,
      user: 'alice',
    });
    await expect(failing.run('checkpoint.reset', { connectionId: 'staging', position: 1 }, context())).rejects.toThrow();
    expect(JSON.stringify((await audit.list({ limit: 1 })).records)).not.toContain('leaked-pa55');
  });
});
