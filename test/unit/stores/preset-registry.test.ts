import { describe, expect, it } from 'vitest';
import { MONGO_PRESET_NAMES, POSTGRES_PRESET_NAMES, PRESET_NAMES } from '../../../src-shared/presets';
import { presetName } from '../../../src-shared/schemas/browse';
import { MONGO_PRESETS, POSTGRES_PRESETS, PRESETS, presetRecord } from '../../../src-main/stores/presets';

describe('preset registry', () => {
  it('lists exactly the names the shared list (and so the contract) knows, each under its own backend', () => {
    expect(PRESETS.map((p) => p.name)).toEqual([...PRESET_NAMES]);
    expect(Object.keys(POSTGRES_PRESETS)).toEqual([...POSTGRES_PRESET_NAMES]);
    expect(Object.keys(MONGO_PRESETS)).toEqual([...MONGO_PRESET_NAMES]);
    for (const [name, record] of Object.entries(POSTGRES_PRESETS)) expect([name, record.backend]).toEqual([record.name, 'postgres']);
    for (const [name, record] of Object.entries(MONGO_PRESETS)) expect([name, record.backend]).toEqual([record.name, 'mongo']);
    expect(presetName.options).toEqual([...PRESET_NAMES, 'custom']);
  });

  it('finds a record by name, and none for custom', () => {
    expect(presetRecord('marten')?.backend).toBe('postgres');
    expect(presetRecord('emmett-mongo')?.backend).toBe('mongo');
    expect(presetRecord('custom')).toBeUndefined();
  });

  it('gives each PostgreSQL preset a mapping of its own name whose signature columns differ from the others', () => {
    for (const record of Object.values(POSTGRES_PRESETS)) {
      expect(record.mapping().preset).toBe(record.name);
      expect(record.detection.signature.length).toBeGreaterThan(0);
    }
    const signatures = Object.values(POSTGRES_PRESETS).map((r) => [...r.detection.signature].sort().join(','));
    expect(new Set(signatures).size).toBe(signatures.length);
  });

  it('names siblings that exist on the other backend', () => {
    for (const record of PRESETS) {
      if (!record.sibling) continue;
      expect(presetRecord(record.sibling)?.backend).not.toBe(record.backend);
    }
  });
});
