import { EmmettMongoStore } from '../mongo/emmett-mongo-store';
import { detectEmmettMongo } from '../mongo/emmett-mongo-detect';
import { listStreamCollections } from '../mongo/emmett-mongo-layout';
import { StoreNotFoundError } from './not-found';
import type { MongoPresetRecord } from './preset-record';

export const emmettMongoPreset: MongoPresetRecord = {
  name: 'emmett-mongo',
  backend: 'mongo',
  label: 'Emmett (MongoDB)',
  sibling: 'emmett',
  async detect(db) {
    return (await detectEmmettMongo(db)).map((p) => ({
      source: `${db.databaseName}.emt:*`,
      confidence: p.confidence,
      evidence: p.evidence,
      missing: p.missing,
    }));
  },
  async open(db) {
    if ((await listStreamCollections(db)).length === 0) {
      throw new StoreNotFoundError(`database ${db.databaseName} has no emt:<streamType> collections: it holds no Emmett MongoDB event store`);
    }
    return EmmettMongoStore.open(db);
  },
  // emt:processors holds change-stream resume tokens, not positions: no checkpoint layout yet.
  companions: {},
};
