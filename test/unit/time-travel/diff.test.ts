import { describe, expect, it } from 'vitest';
import { diff, formatPath, parsePath, pathStartsWith, valueAt } from '../../../src-main/engine/time-travel/diff';

describe('diff', () => {
  it('is empty for identical values, including nested and differently ordered keys', () => {
    expect(diff(1, 1)).toEqual([]);
    expect(diff('a', 'a')).toEqual([]);
    expect(diff(null, null)).toEqual([]);
    expect(diff({ a: 1, b: { c: [1, { d: 2 }] } }, { b: { c: [1, { d: 2 }] }, a: 1 })).toEqual([]);
    expect(diff([], [])).toEqual([]);
    expect(diff(undefined, undefined)).toEqual([]);
  });

  it('reports changed scalars at the root and nested', () => {
    expect(diff(1, 2)).toEqual([{ path: [], kind: 'changed', before: 1, after: 2 }]);
    expect(diff({ a: { b: 'x' } }, { a: { b: 'y' } })).toEqual([{ path: ['a', 'b'], kind: 'changed', before: 'x', after: 'y' }]);
  });

  it('reports added and removed keys, in sorted key order', () => {
    expect(diff({ z: 1, a: 1 }, { a: 1, m: 2, b: 3 })).toEqual([
      { path: ['b'], kind: 'added', after: 3 },
      { path: ['m'], kind: 'added', after: 2 },
      { path: ['z'], kind: 'removed', before: 1 },
    ]);
  });

  it('compares arrays by index: changed, appended, truncated', () => {
    expect(diff([1, 2, 3], [1, 5])).toEqual([
      { path: [1], kind: 'changed', before: 2, after: 5 },
      { path: [2], kind: 'removed', before: 3 },
    ]);
    expect(diff({ l: [{ q: 1 }] }, { l: [{ q: 2 }, { q: 3 }] })).toEqual([
      { path: ['l', 0, 'q'], kind: 'changed', before: 1, after: 2 },
      { path: ['l', 1], kind: 'added', after: { q: 3 } },
    ]);
  });

  it('treats a change of kind as one change, not a list of leaves', () => {
    expect(diff({ a: { b: 1 } }, { a: [1] })).toEqual([{ path: ['a'], kind: 'changed', before: { b: 1 }, after: [1] }]);
    expect(diff({ a: '1' }, { a: 1 })).toEqual([{ path: ['a'], kind: 'changed', before: '1', after: 1 }]);
    expect(diff({ a: null }, { a: {} })).toEqual([{ path: ['a'], kind: 'changed', before: null, after: {} }]);
    expect(diff([1], { 0: 1 })).toEqual([{ path: [], kind: 'changed', before: [1], after: { 0: 1 } }]);
  });

  it('tells null from missing; undefined counts as missing (JSON)', () => {
    expect(diff({}, { a: null })).toEqual([{ path: ['a'], kind: 'added', after: null }]);
    expect(diff({ a: null }, {})).toEqual([{ path: ['a'], kind: 'removed', before: null }]);
    expect(diff({ a: null }, { a: undefined })).toEqual([{ path: ['a'], kind: 'removed', before: null }]);
    expect(diff({ a: undefined }, {})).toEqual([]);
    expect(diff(undefined, { a: 1 })).toEqual([{ path: [], kind: 'added', after: { a: 1 } }]);
    expect(diff(null, undefined)).toEqual([{ path: [], kind: 'removed', before: null }]);
  });

  it('gives a stable order across a mixed, deep change set', () => {
    const before = { b: [1, { x: 1 }], a: { k: true } };
    const after = { a: { k: false, j: 0 }, b: [2, { x: 1, y: 2 }, 3] };
    const expected = [
      { path: ['a', 'j'], kind: 'added', after: 0 },
      { path: ['a', 'k'], kind: 'changed', before: true, after: false },
      { path: ['b', 0], kind: 'changed', before: 1, after: 2 },
      { path: ['b', 1, 'y'], kind: 'added', after: 2 },
      { path: ['b', 2], kind: 'added', after: 3 },
    ];
    expect(diff(before, after)).toEqual(expected);
    expect(diff(JSON.parse(JSON.stringify(before)), JSON.parse(JSON.stringify(after)))).toEqual(expected);
  });

  it('treats 0 and -0 as equal and NaN as equal to itself', () => {
    expect(diff(0, -0)).toEqual([]);
    expect(diff(Number.NaN, Number.NaN)).toEqual([]);
  });
});

describe('paths', () => {
  it('reads values at paths', () => {
    const v = { a: { b: [10, { c: 'x' }] } };
    expect(valueAt(v, ['a', 'b', 1, 'c'])).toBe('x');
    expect(valueAt(v, ['a', 'b', 0])).toBe(10);
    expect(valueAt(v, ['a', 'missing'])).toBeUndefined();
    expect(valueAt(v, ['a', 'b', 'length'])).toBeUndefined();
    expect(valueAt(null, ['a'])).toBeUndefined();
    expect(valueAt(v, [])).toBe(v);
  });

  it('formats and parses paths', () => {
    expect(formatPath(['a', 'b', 0, 'c d'])).toBe('a.b[0]["c d"]');
    expect(formatPath([])).toBe('(root)');
    expect(parsePath('a.b[0]["c d"]')).toEqual(['a', 'b', 0, 'c d']);
    expect(parsePath('address.city')).toEqual(['address', 'city']);
    expect(parsePath('lines.1.qty')).toEqual(['lines', 1, 'qty']);
  });

  it('matches path prefixes', () => {
    expect(pathStartsWith(['a', 'b', 0], ['a'])).toBe(true);
    expect(pathStartsWith(['a'], ['a', 'b'])).toBe(false);
    expect(pathStartsWith(['l', 1], ['l', '1'])).toBe(true);
  });
});
