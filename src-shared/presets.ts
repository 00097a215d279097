/**
 * Names of the presets the main process knows (one record each in
 * src-main/stores/presets/). The renderer and the contract validate against
 * this list; a unit test keeps it and the registry in step.
 */
export const POSTGRES_PRESET_NAMES = ['classic', 'marten', 'message-db', 'emmett', 'eventuous', 'axon'] as const;
export const MONGO_PRESET_NAMES = ['reference-mongo', 'emmett-mongo'] as const;
export const PRESET_NAMES = [...POSTGRES_PRESET_NAMES, ...MONGO_PRESET_NAMES] as const;

export type PostgresPresetName = (typeof POSTGRES_PRESET_NAMES)[number];
export type MongoPresetName = (typeof MONGO_PRESET_NAMES)[number];
export type KnownPresetName = (typeof PRESET_NAMES)[number];
