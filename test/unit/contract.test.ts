import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ChronoError, toErrorPayload } from '../../src-shared/errors';
import { connectionsOf, operations, targetsWithoutConnections, type OperationSpec } from '../../src-shared/operations';
import { parseInput } from '../../src-shared/validate';
import { createBridge, createClient, type Transport } from '../../src-shared/client';
import type { ClientMessage, ServerMessage } from '../../src-shared/wire';

function invalid(op: keyof typeof operations, input: unknown): ChronoError {
  try {
    parseInput(operations[op].input, input, op);
  } catch (err) {
    return err as ChronoError;
  }
  throw new Error('input was accepted');
}

describe('operation input validation', () => {
  it('names the field that is wrong', () => {
    const err = invalid('connections.add', {
      name: 'prod',
      settings: { kind: 'postgres', host: 'db', port: 70000, database: 'app', user: 'ops' },
    });
    expect(err.code).toBe('invalid_input');
    expect(err.message).toContain('settings.port');
    expect(err.message).toContain('between 1 and 65535');
    expect((err.details as { problems: { field: string }[] }).problems.map((p) => p.field)).toEqual(['settings.port']);
  });

  it('lists every bad field at once', () => {
    const err = invalid('connections.add', { name: '', settings: { kind: 'kafka', brokers: ['no-port'] } });
    const fields = (err.details as { problems: { field: string }[] }).problems.map((p) => p.field);
    expect(fields).toContain('name');
    expect(fields).toContain('settings.brokers.0');
  });

  it('rejects unknown fields instead of ignoring them', () => {
    const err = invalid('audit.list', { limit: 10, sql: 'drop table' });
    expect(err.message).toMatch(/unknown field\(s\): sql/);
  });

  it('rejects a connection kind it does not know', () => {
    const err = invalid('connections.add', { name: 'x', settings: { kind: 'mysql' } });
    expect(err.message).toContain('settings.kind');
  });

  it('applies defaults: profiles are read-only unless marked otherwise', () => {
    const parsed = parseInput(operations['connections.add'].input, {
      name: 'staging',
      settings: { kind: 'postgres', host: '10.0.0.5', database: 'events', user: 'ops' },
    }, 'connections.add');
    expect(parsed.readOnly).toBe(true);
    expect(parsed.settings).toMatchObject({ port: 5432, sslMode: 'disable' });
  });

  it('every target operation names the connections it acts on, so read-only profiles are enforced', () => {
    expect(targetsWithoutConnections(operations)).toEqual([]);
  });

  it('tells a target operation that names its connections from one that cannot', () => {
    const spec = (input: OperationSpec['input'], extra: Partial<OperationSpec> = {}): OperationSpec => ({ summary: 't', input, result: z.object({}), effect: 'target', ...extra });
    const table = {
      byId: spec(z.strictObject({ connectionId: z.string() })),
      byIds: spec(z.strictObject({ connectionIds: z.array(z.string()).min(1) })),
      declared: spec(z.strictObject({ source: z.string(), sink: z.string() }), { connectionsOf: (input: { source: string; sink: string }) => [input.source, input.sink] } as never),
      optionalId: spec(z.strictObject({ connectionId: z.string().optional() })),
      noConnection: spec(z.strictObject({ topic: z.string() })),
      readsOnly: { ...spec(z.strictObject({ topic: z.string() })), effect: 'none' as const },
    };
    expect(targetsWithoutConnections(table)).toEqual(['optionalId', 'noConnection']);
    expect(connectionsOf(table.byId, { connectionId: 'a' })).toEqual(['a']);
    expect(connectionsOf(table.byIds, { connectionIds: ['a', 'b', 'a'] })).toEqual(['a', 'b']);
    expect(connectionsOf(table.declared, { source: 'a', sink: 'b' })).toEqual(['a', 'b']);
  });

  it('derives the connections of the real operations from their inputs', () => {
    expect(connectionsOf(operations['streams.read'], { connectionId: 'prod-pg', streamId: 's' })).toEqual(['prod-pg']);
    expect(connectionsOf(operations['audit.list'], { limit: 5 })).toEqual([]);
  });

  it('marks every operation with an effect and a result schema', () => {
    for (const [name, spec] of Object.entries(operations)) {
      expect(['none', 'local', 'target'], name).toContain(spec.effect);
      expect(spec.result, name).toBeDefined();
    }
  });
});

describe('errors across the boundary', () => {
  it('round-trips code, message and details through JSON', () => {
    const original = new ChronoError('read_only', 'Connection "prod" is read-only.', { connectionId: 'prod' });
    const rebuilt = ChronoError.fromPayload(JSON.parse(JSON.stringify(toErrorPayload(original))));
    expect(rebuilt).toBeInstanceOf(ChronoError);
    expect(rebuilt.code).toBe('read_only');
    expect(rebuilt.message).toBe('Connection "prod" is read-only.');
    expect(rebuilt.details).toEqual({ connectionId: 'prod' });
  });

  it('turns unknown codes and plain errors into internal errors', () => {
    expect(ChronoError.fromPayload({ code: 'bogus' as never, message: 'm' }).code).toBe('internal');
    expect(toErrorPayload(new Error('boom'))).toEqual({ code: 'internal', message: 'boom' });
    const abort = new Error('aborted');
    abort.name = 'AbortError';
    expect(toErrorPayload(abort).code).toBe('cancelled');
  });

  it('rejects client calls with the rebuilt error, and routes data and progress by operation id', async () => {
    const sent: ClientMessage[] = [];
    let deliver: (m: ServerMessage) => void = () => undefined;
    const transport: Transport = {
      send: (m) => sent.push(m),
      onMessage: (listener) => {
        deliver = listener;
        return () => undefined;
      },
    };
    const client = createClient(createBridge(transport));
    const data: unknown[] = [];
    const progress: number[] = [];
    const failing = client.call('audit.verify', {}, { onProgress: (p) => progress.push(p.done) });
    const streaming = client.call('connections.status', { intervalMs: 1000 }, { onData: (d) => data.push(d) });
    const [first, second] = sent as Extract<ClientMessage, { t: 'call' }>[];
    expect(first?.id).not.toBe(second?.id);
    deliver({ t: 'progress', id: first!.id, progress: { done: 3 } });
    deliver({ t: 'data', id: second!.id, data: [{ id: 'local' }] });
    deliver({ t: 'result', id: first!.id, ok: false, error: { code: 'timeout', message: 'slow', details: { after: 5 } } });
    deliver({ t: 'result', id: second!.id, ok: true, data: { rounds: 1 } });
    await expect(failing).rejects.toMatchObject({ name: 'ChronoError', code: 'timeout', details: { after: 5 } });
    await expect(streaming).resolves.toEqual({ rounds: 1 });
    expect(progress).toEqual([3]);
    expect(data).toEqual([[{ id: 'local' }]]);
  });

  it('sends a cancel message when the signal aborts', async () => {
    const sent: ClientMessage[] = [];
    const transport: Transport = { send: (m) => sent.push(m), onMessage: () => () => undefined };
    const client = createClient(createBridge(transport));
    const controller = new AbortController();
    void client.call('connections.status', {}, { signal: controller.signal });
    controller.abort();
    expect(sent.map((m) => m.t)).toEqual(['call', 'cancel']);
    expect(sent[1]?.id).toBe(sent[0]?.id);
  });
});
