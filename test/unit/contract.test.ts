import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ChronoError, toErrorPayload } from '../../src-shared/errors';
import { connectionsOf, operations, staleAfter, targetsWithoutConnections, type OperationName, type OperationSpec } from '../../src-shared/operations';
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
    const parsed = parseInput(
      operations['connections.add'].input,
      {
        name: 'staging',
        settings: { kind: 'postgres', host: '10.0.0.5', database: 'events', user: 'ops' },
      },
      'connections.add',
    );
    expect(parsed.readOnly).toBe(true);
    expect(parsed.settings).toMatchObject({ port: 5432, sslMode: 'disable' });
  });

  it('every target operation names the connections it acts on, so read-only profiles are enforced', () => {
    expect(targetsWithoutConnections(operations)).toEqual([]);
  });

  it('tells a target operation that names its connections from one that cannot', () => {
    const spec = (input: OperationSpec['input'], extra: Partial<OperationSpec> = {}): OperationSpec => ({
      summary: 't',
      input,
      result: z.object({}),
      effect: 'target',
      ...extra,
    });
    const table = {
      byId: spec(z.strictObject({ connectionId: z.string() })),
      byIds: spec(z.strictObject({ connectionIds: z.array(z.string()).min(1) })),
      declared: spec(z.strictObject({ source: z.string(), sink: z.string() }), {
        connectionsOf: (input: { source: string; sink: string }) => [input.source, input.sink],
      } as never),
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

describe('what each operation makes stale', () => {
  const names = Object.keys(operations);

  it('names only real operations, none of them streams or itself', () => {
    for (const [name, spec] of Object.entries(operations) as [string, OperationSpec][]) {
      for (const stale of spec.invalidates ?? []) {
        expect(names, `${name} invalidates ${stale}`).toContain(stale);
        expect(stale, `${name} invalidates itself`).not.toBe(name);
        expect((operations as Record<string, OperationSpec>)[stale]!.stream, `${name} invalidates the stream ${stale}`).toBeUndefined();
      }
    }
  });

  it('confirming a preset refreshes everything read through it, charts included', () => {
    const stale = staleAfter('stores.configure', { succeeded: true });
    for (const read of ['stores.detect', 'stores.describe', 'streams.list', 'streams.read', 'feed.read', 'stats.histogram', 'stats.largestStreams'] as const)
      expect(stale).toContain(read);
  });

  it('an export refreshes the audit log and its chain check, whatever its outcome', () => {
    expect(staleAfter('events.export', { succeeded: true })).toEqual(expect.arrayContaining(['audit.list', 'audit.verify']));
    expect(staleAfter('events.export', { succeeded: false })).toEqual(expect.arrayContaining(['audit.list', 'audit.verify']));
  });

  it('every audited operation refreshes the audit log; reads refresh nothing unless declared', () => {
    for (const name of names as OperationName[]) {
      const spec: OperationSpec = operations[name];
      const stale = staleAfter(name, { succeeded: true });
      if (spec.effect !== 'none') expect(stale, name).toEqual(expect.arrayContaining(['audit.list', 'audit.verify']));
      else expect(stale, name).toEqual([...(spec.invalidates ?? [])]);
    }
  });

  it('a refused change or a dry run leaves everything but the audit log alone', () => {
    expect(staleAfter('connections.add', { succeeded: true })).toContain('connections.list');
    expect(staleAfter('connections.add', { succeeded: false })).toEqual(['audit.list', 'audit.verify']);
    expect(staleAfter('connections.remove', { succeeded: true, dryRun: true })).toEqual(['audit.list', 'audit.verify']);
    expect(staleAfter('connections.remove', { succeeded: true })).toContain('connections.list');
  });

  it('changed definition files refresh the definitions list and replayed results', () => {
    expect(staleAfter('timeTravel.definitionsChanged', { succeeded: true })).toEqual(expect.arrayContaining(['timeTravel.definitions', 'timeTravel.steps']));
    expect(staleAfter('timeTravel.setDefinitionsFolder', { succeeded: true })).toContain('timeTravel.definitions');
  });
});
