import type pg from 'pg';
import { generateSubjectKey, type SubjectKey, type SubjectKeyStore } from '../../engine/personal-data/sealed-fields';
import { newId } from '../ids';

type Queryable = Pick<pg.Pool | pg.PoolClient | pg.Client, 'query'>;

interface KeyRow {
  key_id: string;
  subject_id: string;
  key_material: Buffer;
}

const toKey = (row: KeyRow): SubjectKey => ({ keyId: row.key_id, subjectId: row.subject_id, key: row.key_material });

/**
 * Subject keys in Postgres `subject_keys`. No in-process cache on purpose: a
 * key deleted by a crypto-shred must stop working at once in every process.
 */
export class PostgresSubjectKeyStore implements SubjectKeyStore {
  constructor(private readonly db: Queryable) {}

  async keyForSubject(subjectId: string): Promise<SubjectKey> {
    // Insert-or-read: concurrent first uses of a subject agree on one key through the UNIQUE(subject_id).
    await this.db.query('INSERT INTO subject_keys (key_id, subject_id, key_material) VALUES ($1, $2, $3) ON CONFLICT (subject_id) DO NOTHING', [
      newId(),
      subjectId,
      generateSubjectKey(),
    ]);
    const { rows } = await this.db.query<KeyRow>('SELECT key_id, subject_id, key_material FROM subject_keys WHERE subject_id = $1', [subjectId]);
    if (!rows[0]) throw new Error(`Subject key for ${subjectId} vanished while being created (shredded concurrently?)`);
    return toKey(rows[0]);
  }

  async keyById(keyId: string): Promise<SubjectKey | null> {
    const { rows } = await this.db.query<KeyRow>('SELECT key_id, subject_id, key_material FROM subject_keys WHERE key_id = $1', [keyId]);
    return rows[0] ? toKey(rows[0]) : null;
  }

  /** Crypto-shreds a subject: deletes its key; returns whether one existed. */
  async shred(subjectId: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM subject_keys WHERE subject_id = $1', [subjectId]);
    return (rowCount ?? 0) > 0;
  }
}

/** Writes many keys at once (generator, demo seeder); existing subjects keep their key. */
export async function insertSubjectKeys(db: Queryable, keys: readonly SubjectKey[]): Promise<void> {
  if (keys.length === 0) return;
  await db.query(
    `INSERT INTO subject_keys (key_id, subject_id, key_material)
     SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::bytea[]) ON CONFLICT DO NOTHING`,
    [keys.map((k) => k.keyId), keys.map((k) => k.subjectId), keys.map((k) => k.key)],
  );
}
