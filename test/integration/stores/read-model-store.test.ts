import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_SUPPORT_DDL } from '../../../src-main/reference/postgres/schema';
import { presetRecord } from '../../../src-main/stores/presets';
import { openReadModels } from '../../../src-main/stores/ports/open-companions';
import { createFixtureDatabase, type FixtureDatabase } from './companion-backends';

describe('ReadModelStore of the reference presets', () => {
  let pg: FixtureDatabase;
  let mongo: FixtureDatabase;

  beforeAll(async () => {
    pg = await createFixtureDatabase('PostgreSQL', 'read_models');
    mongo = await createFixtureDatabase('FerretDB', 'read_models');
  });
  afterAll(async () => {
    await pg?.drop();
    await mongo?.drop();
  });

  it('lists the PostgreSQL read models with the planner estimate, never a count, and says which are missing', async () => {
    if (pg.client.kind !== 'postgres') throw new Error('PostgreSQL');
    const pool = pg.client.pool;
    await pool.query(REFERENCE_SUPPORT_DDL);
    await pool.query(`DROP TABLE orders_view`);
    await pool.query(`INSERT INTO accounts_view SELECT 'a' || i, 'o', 'EUR', 0, 'open', 1, now() FROM generate_series(1, 50) i`);
    await pool.query('ANALYZE accounts_view');
    const models = await openReadModels(presetRecord('classic')!, pool).list();
    expect(models.map((m) => [m.name, m.exists])).toEqual([
      ['accounts_view', true],
      ['orders_view', false],
      ['products_view', true],
    ]);
    expect(models[0]).toMatchObject({ source: '"public"."accounts_view"', key: 'account_id', approximateRows: 50 });
    expect(models[1]!.approximateRows).toBeNull();
  });

  it('lists the MongoDB read models with the collection estimate', async () => {
    if (mongo.client.kind !== 'mongo') throw new Error('MongoDB');
    await mongo.client.db.collection('products_view').insertMany([{ _id: 'p1' as never }, { _id: 'p2' as never }]);
    const [products] = await openReadModels(presetRecord('reference-mongo')!, mongo.client.db).list();
    expect(products).toMatchObject({ name: 'products_view', exists: true, approximateRows: 2 });
  });
});
