/**
 * MySQL / MariaDB types → import types. Names are information_schema's DATA_TYPE (lower case); result-set
 * metadata (custom queries) is first turned into the same names, so both paths share one table.
 */
import type { ValueType } from '../../domain/importSpec';
import type { SourceColumn } from '../source';

const NUMBER = new Set([
  'tinyint',
  'smallint',
  'mediumint',
  'int',
  'integer',
  'bigint',
  'decimal',
  'numeric',
  'float',
  'double',
  'real',
  'year',
]);
const STRING = new Set([
  'char',
  'varchar',
  'tinytext',
  'text',
  'mediumtext',
  'longtext',
  'enum',
  'set',
  'uuid',
  'inet4',
  'inet6',
  'null',
]);
/** Binary and spatial values have no faithful text form; TIME is a duration, not an instant. */
const UNSUPPORTED = new Set([
  'binary',
  'varbinary',
  'tinyblob',
  'blob',
  'mediumblob',
  'longblob',
  'bit',
  'time',
  'geometry',
  'point',
  'linestring',
  'polygon',
  'multipoint',
  'multilinestring',
  'multipolygon',
  'geometrycollection',
  'vector',
]);

export function importTypeOf(dataType: string): ValueType | null {
  const t = dataType.toLowerCase();
  if (NUMBER.has(t)) return 'number';
  if (t === 'timestamp' || t === 'datetime') return 'timestamp';
  if (t === 'date') return 'date';
  if (t === 'json') return 'json';
  if (STRING.has(t)) return 'string';
  if (UNSUPPORTED.has(t)) return null;
  return 'string';
}

export function columnOf(name: string, dataType: string): SourceColumn {
  const t = dataType.toLowerCase();
  const importType = importTypeOf(t);
  return {
    name,
    sourceType: t,
    importType,
    cursorKind:
      importType === 'timestamp' || importType === 'date' ? 'time' : importType === 'number' ? 'number' : 'other',
  };
}

/** Result-set metadata (mysql2's FieldPacket) → a DATA_TYPE name. Binary collation (63) makes a string binary. */
export function dataTypeOfField(f: {
  columnType?: number;
  type?: number;
  characterSet?: number;
  extendedFormat?: string;
  extendedTypeName?: string;
}): string {
  if (f.extendedFormat === 'json') return 'json';
  if (f.extendedTypeName) return f.extendedTypeName.toLowerCase();
  const binary = f.characterSet === 63;
  switch (f.columnType ?? f.type) {
    case 0:
    case 246:
      return 'decimal';
    case 1:
      return 'tinyint';
    case 2:
      return 'smallint';
    case 3:
      return 'int';
    case 4:
      return 'float';
    case 5:
      return 'double';
    case 6:
      return 'null';
    case 7:
    case 17:
      return 'timestamp';
    case 8:
      return 'bigint';
    case 9:
      return 'mediumint';
    case 10:
    case 14:
      return 'date';
    case 11:
    case 19:
      return 'time';
    case 12:
    case 18:
      return 'datetime';
    case 13:
      return 'year';
    case 16:
      return 'bit';
    case 245:
      return 'json';
    case 247:
      return 'enum';
    case 248:
      return 'set';
    case 249:
    case 250:
    case 251:
    case 252:
      return binary ? 'blob' : 'text';
    case 15:
    case 253:
      return binary ? 'varbinary' : 'varchar';
    case 254:
      return binary ? 'binary' : 'char';
    case 255:
      return 'geometry';
    default:
      return 'varchar';
  }
}
