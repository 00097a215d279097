import { MongoEventStore, REFERENCE_MONGO_MAPPING, detectMongoPresets } from '../mongo/mongo-event-store';
import { StoreNotFoundError } from './not-found';
import type { MongoPresetRecord } from './preset-record';

export const referenceMongoPreset: MongoPresetRecord = {
  name: 'reference-mongo',
  backend: 'mongo',
  label: 'Reference system (MongoDB)',
  async detect(db) {
    return (await detectMongoPresets(db)).map((p) => ({
      source: `${db.databaseName}.${p.mapping.collection}`,
      confidence: p.confidence,
      evidence: p.evidence,
      missing: p.missing,
    }));
  },
  async open(db) {
    const names = (await db.listCollections({ name: REFERENCE_MONGO_MAPPING.collection }, { nameOnly: true }).toArray()).map((c) => c.name);
    if (!names.includes(REFERENCE_MONGO_MAPPING.collection))
      throw new StoreNotFoundError(`collection ${db.databaseName}.${REFERENCE_MONGO_MAPPING.collection} does not exist`);
    return new MongoEventStore(db, REFERENCE_MONGO_MAPPING);
  },
  companions: {
    checkpoints: [
      {
        format: 'documents',
        kind: 'reference',
        backend: 'mongo',
        collection: 'checkpoints',
        fields: { name: 'projection', source: 'source', position: 'position', updatedAt: 'updatedAt' },
        idOf: { separator: '|' },
      },
    ],
    snapshots: [
      {
        format: 'documents',
        kind: 'reference',
        backend: 'mongo',
        collection: 'snapshots',
        fields: { streamId: 'aggregateId', streamType: 'aggregateType', version: 'version', state: 'state', takenAt: 'takenAt' },
      },
    ],
    readModels: [{ name: 'products_view', backend: 'mongo', table: 'products_view', key: '_id' }],
  },
};
