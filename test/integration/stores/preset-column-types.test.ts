import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectPresets } from '../../../src-main/stores/postgres/detect';
import { MappingValidationError, quoteIdent, qualifiedName, validateMapping, type PresetName } from '../../../src-main/stores/postgres/mapping';
import { presetMapping } from '../../../src-main/stores/presets';
import { createTestDatabase, type TestDatabase } from '../reference/support';
import { FIXTURES } from './fixtures';

/** The key columns of each preset, turned to text here; Axon already keeps its timestamp as text (its documented ISO string). */
const KEY_ROLES: Record<PresetName, Array<'version' | 'position' | 'timestamp'>> = {
  classic: ['version', 'position', 'timestamp'],
  marten: ['version', 'position', 'timestamp'],
  'message-db': ['version', 'position', 'timestamp'],
  emmett: ['version', 'position', 'timestamp'],
  eventuous: ['version', 'position', 'timestamp'],
  axon: ['version', 'position'],
};

const NEEDS = { version: 'an integer type', position: 'an integer type', timestamp: 'a timestamp type' };

describe.each(FIXTURES.map((fixture) => ({ fixture, preset: fixture.preset })))('preset $preset with text key columns', ({ fixture, preset }) => {
  let db: TestDatabase;
  const mapping = presetMapping(preset);
  const schema = mapping.schema ?? 'public';
  const sentences = KEY_ROLES[preset].map((role) => `${schema}.${mapping.table}.${mapping.columns[role]!} is text; the ${preset} preset needs ${NEEDS[role]}`);

  beforeAll(async () => {
    db = await createTestDatabase('ptypes');
    await db.pool.query(fixture.ddl);
    const table = qualifiedName(mapping.schema, mapping.table);
    for (const role of KEY_ROLES[preset]) {
      const column = quoteIdent(mapping.columns[role]!);
      // Defaults (sequences, now()) and identities do not survive a change to text.
      await db.pool.query(`ALTER TABLE ${table} ALTER COLUMN ${column} DROP IDENTITY IF EXISTS`);
      await db.pool.query(`ALTER TABLE ${table} ALTER COLUMN ${column} DROP DEFAULT`);
      await db.pool.query(`ALTER TABLE ${table} ALTER COLUMN ${column} TYPE text USING ${column}::text`);
    }
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('is not proposed as a match: detection names each mismatch and lowers the confidence', async () => {
    const proposals = await detectPresets(db.pool);
    const proposal = proposals.find((p) => p.preset === preset && p.mapping.table === mapping.table);
    expect(proposal).toBeDefined();
    expect(proposal!.usable).toBe(false);
    expect(proposal!.confidence).toBeLessThan(0.5);
    for (const sentence of sentences) expect(proposal!.evidence.join('\n')).toContain(sentence);
  });

  it('is refused when opened, with the same sentences', async () => {
    const err = await validateMapping(db.pool, mapping).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MappingValidationError);
    for (const sentence of sentences) expect((err as MappingValidationError).message).toContain(sentence);
    expect((err as MappingValidationError).problems).toHaveLength(sentences.length);
  });
});
