/**
 * Built-in read models: the models a rebuild offers without a user definition,
 * because the engine was given their projectors' reducers and tables. The engine
 * knows no event-sourced system of its own: whoever creates it passes these in
 * (engine.ts passes the reference system's, through the Local workspace).
 */
import type { ReadModelDefinition } from './read-model';

export interface BuiltinReadModels {
  /** PostgreSQL tables a built-in rebuilds, by table name. */
  postgres: Readonly<Record<string, ReadModelDefinition>>;
  /** MongoDB collections a built-in rebuilds, by collection name. */
  mongo: Readonly<Record<string, ReadModelDefinition>>;
  /** Fields of a built-in's Mongo documents kept as dates (rows travel as JSON), by collection. */
  mongoDateFields: Readonly<Record<string, readonly string[]>>;
  /** The statements that create a built-in PostgreSQL model (its table and indexes) in a schema. */
  tableSql(schema: string, model: string): string;
}
