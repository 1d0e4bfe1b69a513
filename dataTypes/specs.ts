/**
 * The data types' specs, one line each: the spec side of the registry (dataTypes/index.ts is the rest).
 * Free of Node built-ins and of the store, as the workflow bundle imports it through domain/importSpec.ts.
 * The order is the order of the import spec's variants (and of the OpenAPI document's).
 */
import type { DataTypeSpec } from '../domain/specFields';
import { activitySpec } from './activity/spec';
import { groupSpec } from './group/spec';
import { identitySpec } from './identity/spec';
import { profileSpec } from './profile/spec';
import { segmentsSpec } from './segments/spec';

export const dataTypeSpecs = [profileSpec, activitySpec, segmentsSpec, identitySpec, groupSpec] as const;

type SchemasOf<T extends readonly unknown[]> = {
  -readonly [K in keyof T]: T[K] extends DataTypeSpec<infer S> ? S : never;
};
/** Each data type's spec variant, in registry order (a tuple, as z.discriminatedUnion takes). */
export const specSchemas = dataTypeSpecs.map((s) => s.schema) as unknown as SchemasOf<typeof dataTypeSpecs>;
