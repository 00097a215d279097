import { describe, expect, it } from 'vitest';
import { inspectDefinition, summarizeAppliesTo } from '../../../src-main/engine/definitions/inspect-definition';
import { definitionLocation } from '../../../src-main/engine/definitions/sandbox';

describe('inspecting a definition in the sandbox', () => {
  it('reports what a definition declares', async () => {
    const inspection = await inspectDefinition({
      name: 'x.js',
      source: "definition = { name: 'x', appliesTo: { streamPrefix: 'acc-' }, init: () => ({}), handlers: { A: (s) => s } };",
    });
    expect(inspection).toEqual({ ok: true, info: { name: 'x', appliesTo: { streamPrefix: 'acc-' }, handlerTypes: ['A'], hasAny: false, upcasterTypes: [] } });
  });

  it('reports the money fields it declares, dropping what is malformed', async () => {
    const source =
      "definition = { name: 'm', init: () => ({}), money: { balanceCents: { currencyField: 'currency' }, priceCents: { currency: 'EUR', scale: 3 }, 'bad path!': {}, odd: { currency: 'euro', scale: 99 } } };";
    const inspection = await inspectDefinition({ name: 'm.js', source });
    expect(inspection).toMatchObject({
      ok: true,
      info: { money: { balanceCents: { currencyField: 'currency' }, priceCents: { currency: 'EUR', scale: 3 }, odd: {} } },
    });
    expect(inspection.ok && Object.keys(inspection.info.money ?? {})).toEqual(['balanceCents', 'priceCents', 'odd']);
  });

  it('gives the line of a syntax error', async () => {
    const inspection = await inspectDefinition({ name: 'x.js', source: "\n\ndefinition = { name: 'x',, };" });
    expect(inspection).toMatchObject({ ok: false, error: { line: 3, message: expect.stringContaining('SyntaxError') } });
  });

  it('explains that Node globals are not there', async () => {
    const inspection = await inspectDefinition({ name: 'x.js', source: "import fs from 'fs';" });
    expect(inspection).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/Cannot use import statement.*sandbox with JavaScript built-ins only/) },
    });
  });
});

describe('definition locations and summaries', () => {
  it('prefers a frame with a column, and takes a syntax error header without one', () => {
    expect(definitionLocation('definition:x.js:3\n  bad\n\nSyntaxError: ...', 'definition:x.js')).toEqual({ location: 'definition:x.js:3', line: 3 });
    expect(definitionLocation('definition:x.js:2\n...\n    at definition:x.js:2:9', 'definition:x.js')).toEqual({ location: 'definition:x.js:2:9', line: 2 });
  });

  it('summarises appliesTo in one line', () => {
    expect(summarizeAppliesTo({})).toBe('any stream');
    expect(summarizeAppliesTo({ categories: ['Account', 'Ledger'], streamPrefix: 'acc-', types: ['A'] })).toBe(
      'categories Account, Ledger · prefix acc- · types A',
    );
  });
});
