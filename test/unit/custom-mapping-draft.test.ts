import { describe, expect, it } from 'vitest';
import { ChronoError } from '../../src-shared/errors';
import type { InspectedTable } from '../../src-shared/schemas/browse';
import {
  draftForTable,
  draftFromMapping,
  guessColumns,
  likeliestTable,
  missingRequired,
  toCustomMapping,
} from '../../src-renderer/src/features/browse/mapping/mapping-draft';
import { mappingProblems } from '../../src-renderer/src/features/browse/mapping/mapping-problems';

const table = (name: string, columns: string[], schema: string | undefined = 'public'): InspectedTable => ({
  ...(schema ? { schema } : {}),
  name,
  kind: schema ? 'table' : 'collection',
  approximateRows: null,
  columns: columns.map((c) => ({ name: c, dataType: 'text', nullable: true })),
});

describe('guessing a custom mapping from column names', () => {
  it('maps the usual names of known layouts', () => {
    expect(guessColumns(['global_position', 'position', 'time', 'stream_name', 'type', 'data', 'metadata', 'id'], 'postgres')).toEqual({
      streamId: 'stream_name',
      version: 'position',
      type: 'type',
      data: 'data',
      metadata: 'metadata',
      timestamp: 'time',
      eventId: 'id',
      position: 'global_position',
    });
  });

  it('maps an odd table by usual names and patterns, each column once', () => {
    expect(guessColumns(['entity_key', 'seq', 'kind', 'body', 'happened_at', 'gpos', 'note'], 'postgres')).toEqual({
      streamId: 'entity_key',
      version: 'seq',
      type: 'kind',
      data: 'body',
      timestamp: 'happened_at',
      position: 'gpos',
    });
    expect(guessColumns(['order_stream_key', 'row_version', 'payload_type', 'event_payload', 'logged_time'], 'postgres')).toEqual({
      streamId: 'order_stream_key',
      version: 'row_version',
      type: 'payload_type',
      data: 'event_payload',
      timestamp: 'logged_time',
    });
  });

  it('reads camelCase MongoDB fields, keeps metadata keys out of the columns and proposes them as keys', () => {
    const names = [
      '_id',
      'aggregateId',
      'aggregateType',
      'version',
      'eventType',
      'payload',
      'createdAt',
      'metadata',
      'metadata.correlationId',
      'metadata.causationId',
    ];
    const draft = draftForTable([table('events', names, undefined)], 0, 'mongo');
    expect(draft.columns).toEqual({
      streamId: 'aggregateId',
      streamType: 'aggregateType',
      version: 'version',
      type: 'eventType',
      data: 'payload',
      timestamp: 'createdAt',
      metadata: 'metadata',
      eventId: '_id',
    });
    expect([draft.correlationKey, draft.causationKey]).toEqual(['correlationId', 'causationId']);
  });

  it('picks the table that looks most like an event table', () => {
    const tables = [table('users', ['id', 'name', 'email']), table('audit_log', ['entity_key', 'seq', 'kind', 'body']), table('jobs', ['id', 'payload'])];
    expect(likeliestTable(tables, 'postgres')).toBe(1);
    expect(likeliestTable([table('x', ['a', 'b'])], 'postgres')).toBe(-1);
  });
});

describe('the draft as stores.configure input', () => {
  it('leaves out empty roles and options; a separator only for PostgreSQL', () => {
    const t = table('audit_log', ['entity_key', 'seq', 'kind', 'body'], 'ops');
    const draft = { ...draftForTable([t], 0, 'postgres'), separator: '-', correlationKey: ' corr ' };
    expect(missingRequired(draft)).toEqual([]);
    expect(toCustomMapping(draft, t, 'postgres')).toEqual({
      schema: 'ops',
      table: 'audit_log',
      columns: { streamId: 'entity_key', version: 'seq', type: 'kind', data: 'body' },
      metadataKeys: { correlationId: 'corr' },
      categoryFromStreamId: { separator: '-' },
    });
    expect(missingRequired({ ...draft, columns: { ...draft.columns, data: undefined } }).map((r) => r.role)).toEqual(['data']);
  });

  it('starts from a confirmed mapping when its table is still there', () => {
    const tables = [table('a', ['x']), table('audit_log', ['entity_key'], 'ops')];
    const draft = draftFromMapping(tables, {
      schema: 'ops',
      table: 'audit_log',
      columns: { streamId: 'entity_key', version: 'v', type: 't', data: 'd' },
      categoryFromStreamId: { separator: ':' },
    });
    expect(draft).toMatchObject({ tableIndex: 1, separator: ':', columns: { streamId: 'entity_key', version: 'v' } });
    expect(draftFromMapping(tables, { table: 'audit_log', columns: { streamId: 'a', version: 'b', type: 'c', data: 'd' } })).toBeUndefined();
  });
});

describe('placing the host’s problems next to the fields', () => {
  const t = table('audit_log', ['entity_key', 'seq', 'kind', 'body', 'gpos']);
  const draft = { ...draftForTable([t], 0, 'postgres'), columns: { streamId: 'entity_key', version: 'kind', type: 'kind', data: 'body', eventId: 'event_id' } };

  it('puts type problems on the role they name and missing columns on every role that uses them', () => {
    const error = new ChronoError('not_found', "Mapping 'custom' does not match the database: ...", {
      problems: [
        'column public.audit_log.event_id does not exist',
        'column public.audit_log.kind is text: the version column must be an integer type (smallint, integer, bigint, numeric)',
      ],
    });
    const problems = mappingProblems(error, draft);
    expect(problems.lines).toHaveLength(2);
    expect(problems.byRole.eventId).toEqual(['column public.audit_log.event_id does not exist']);
    expect(problems.byRole.version?.[0]).toContain('must be an integer');
    expect(problems.byRole.type).toBeUndefined();
  });

  it('puts input problems on the field they name', () => {
    const error = new ChronoError('invalid_input', 'Invalid input', {
      problems: [
        { field: 'custom.columns.data', message: 'is required' },
        { field: 'custom.categoryFromStreamId.separator', message: 'Too big' },
        { field: 'reason', message: 'reason is limited to 500 characters' },
      ],
    });
    const problems = mappingProblems(error, draft);
    expect(problems.byRole.data).toEqual(['is required']);
    expect(problems.separator).toEqual(['Too big']);
    expect(problems.reason).toEqual(['reason is limited to 500 characters']);
    expect(problems.lines[0]).toBe('custom.columns.data: is required');
  });
});
