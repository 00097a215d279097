/**
 * The value parsers of every pool Chronoscope opens, private to its pools: pg's
 * default registry is process-wide, and a library loaded in the same process may
 * replace its parsers (Emmett's dumbo turns bigint into BigInt and json into its own
 * slower deserializer). Ours: bigint stays text (positions exceed 2^53), json and
 * jsonb through JSON.parse, everything else as pg parses it by default.
 */
import pg from 'pg';

const OID_INT8 = 20;
const OID_JSON = 114;
const OID_JSONB = 3802;

const keepText = (value: string): string => value;
const parseJson = (value: string): unknown => JSON.parse(value);

export const CHRONOSCOPE_PG_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format !== 'binary') {
      if (oid === OID_INT8) return keepText;
      if (oid === OID_JSON || oid === OID_JSONB) return parseJson;
    }
    return pg.types.getTypeParser(oid, format ?? 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};
