import { describe, expect, it } from 'vitest';
import { checkPosition, clampLimit, decodePayload, decodeStreamCursor, encodeStreamCursor, metadataString } from '../../../src-main/stores/event-store';
import { PRESET_NAMES, qualifiedName, quoteIdent } from '../../../src-main/stores/postgres/mapping';
import { presetMapping } from '../../../src-main/stores/presets';

describe('store helpers', () => {
  it('clamps page sizes to [1, 1000]', () => {
    expect(clampLimit(undefined)).toBe(100);
    expect(clampLimit(0)).toBe(1);
    expect(clampLimit(5000)).toBe(1000);
    expect(clampLimit(2.7)).toBe(2);
    expect(clampLimit(Number.NaN)).toBe(100);
  });

  it('accepts only 64-bit decimal positions', () => {
    expect(checkPosition('9223372036854775807')).toBe('9223372036854775807');
    expect(() => checkPosition('9223372036854775808')).toThrow(/64-bit/);
    expect(() => checkPosition('-1')).toThrow(/64-bit/);
    expect(() => checkPosition('1 OR 1=1')).toThrow(/64-bit/);
  });

  it('round-trips stream cursors, including non-ASCII ids', () => {
    for (const id of ['account-1', 'ünïcødé/🙂', '']) expect(decodeStreamCursor(encodeStreamCursor(id))).toBe(id);
    expect(() => decodeStreamCursor('not a cursor!')).toThrow(/invalid stream cursor/);
  });

  it('decodes payloads as JSON, text or hex', () => {
    expect(decodePayload({ a: 1 })).toEqual({ a: 1 });
    expect(decodePayload('{"a":1}')).toEqual({ a: 1 });
    expect(decodePayload(Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    expect(decodePayload(Buffer.from('<x/>'))).toEqual({ text: '<x/>' });
    expect(decodePayload(Buffer.from([0xff, 0x00]))).toEqual({ hex: 'ff00' });
    expect(decodePayload('')).toEqual({ text: '' });
    expect(decodePayload(null)).toBeNull();
  });

  it('reads string metadata keys', () => {
    expect(metadataString({ c: 'x', n: 3 }, 'c')).toBe('x');
    expect(metadataString({ n: 3 }, 'n')).toBe('3');
    expect(metadataString({ o: {} }, 'o')).toBeUndefined();
    expect(metadataString([], 'c')).toBeUndefined();
  });

  it('quotes identifiers and escapes embedded quotes', () => {
    expect(quoteIdent('events')).toBe('"events"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(qualifiedName(undefined, 'x')).toBe('"public"."x"');
    expect(qualifiedName('s"; DROP', 't')).toBe('"s""; DROP"."t"');
    expect(() => quoteIdent('')).toThrow();
  });

  it('has a mapping for every preset', () => {
    for (const name of PRESET_NAMES) {
      const m = presetMapping(name);
      expect(m.preset).toBe(name);
      expect(m.columns.position).toBeDefined();
    }
    expect(presetMapping('message-db').schema).toBe('message_store');
    expect(presetMapping('marten', 'tenant_a').schema).toBe('tenant_a');
  });
});
