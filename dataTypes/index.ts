/**
 * The data types, one line each: the engine (loadBatch, the dry run), the purge and the mapping check take
 * the set from here. The spec side is dataTypes/specs.ts, in the same order; the registry checks that the
 * two agree and that each stage layout is as wide as the lines its mapping writes.
 */
import type { DataType } from '../domain/importSpec';
import { type AnyDataTypeDefinition, checkedRegistry } from './dataType';
import { activityType } from './activity/activity';
import { groupType } from './group/group';
import { identityType } from './identity/identity';
import { profileType } from './profile/profile';
import { segmentsType } from './segments/segments';
import { dataTypeSpecs } from './specs';

export const dataTypeList: readonly AnyDataTypeDefinition[] = [
  profileType,
  activityType,
  segmentsType,
  identityType,
  groupType,
];

export const dataTypes: Record<DataType, AnyDataTypeDefinition> = checkedRegistry(
  dataTypeList,
  dataTypeSpecs.map((s) => s.schema.shape.dataType.value),
);

export type { AnyDataTypeDefinition, DataTypeDefinition } from './dataType';
export type { PurgeStep } from '../store/purge';
