/** The `ReadModelStore` port: the read models (tables, collections) a preset knows, with row estimates. */

export interface ReadModelView {
  name: string;
  /** `"schema"."table"` or `database.collection`. */
  source: string;
  key: string;
  projector: string | null;
  /** false when the table or collection is not there. */
  exists: boolean;
  /** The planner's / server's estimate, never a count; null when unknown (never analysed). */
  approximateRows: number | null;
}

export interface ReadModelStore {
  list(): Promise<ReadModelView[]>;
}
