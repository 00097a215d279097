import type { SubjectKey } from './sealed-fields';

interface Entry {
  connectionId: string;
  key: Promise<SubjectKey | null>;
  /** Known once loaded; a key found missing (shredded) names no subject. */
  subjectId: string | undefined;
  loadedAt: number;
}

/**
 * Subject keys read by browse and time travel, held briefly so a page of a
 * customer's events costs one key lookup, not one per field. Bounded (least
 * recently used first out) and short-lived, so a key deleted elsewhere stops
 * opening data within the time to live; a crypto-shred in this app drops the
 * subject's entries at once.
 */
export class SubjectKeyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 1000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(connectionId: string, keyId: string, load: (keyId: string) => Promise<SubjectKey | null>): Promise<SubjectKey | null> {
    const id = `${connectionId}\u0000${keyId}`;
    const found = this.entries.get(id);
    if (found && this.now() - found.loadedAt < this.ttlMs) {
      // Re-inserting keeps the Map in least-recently-used order.
      this.entries.delete(id);
      this.entries.set(id, found);
      return found.key;
    }
    const entry: Entry = { connectionId, key: load(keyId), subjectId: undefined, loadedAt: this.now() };
    entry.key.then(
      (key) => {
        entry.subjectId = key?.subjectId;
      },
      () => {
        if (this.entries.get(id) === entry) this.entries.delete(id);
      },
    );
    this.entries.delete(id);
    this.entries.set(id, entry);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return entry.key;
  }

  clear(): void {
    this.entries.clear();
  }

  /**
   * After a crypto-shred: the subjects' keys are dropped under every profile (several
   * profiles may reach the same database), and so is any lookup still in flight.
   */
  forgetSubjects(subjectIds: readonly string[]): void {
    for (const [id, entry] of this.entries) {
      if (entry.subjectId === undefined || subjectIds.includes(entry.subjectId)) this.entries.delete(id);
    }
  }
}
