/**
 * A drop folder's manifest: a JSON file beside each data file (`<data file>.manifest.json`) that says how
 * to read it. Its arrival is the signal that the data file is complete. `columns` maps the file's
 * columns to properties, with their types and date formats (the attributes of a profile import, the
 * properties of an activity import); the format fields override the folder's for this one file.
 */
import { z } from 'zod';
import { dataTypeSpecs } from '../dataTypes/specs';
import { type DataType, fileEncodings, propertyMapping } from './importSpec';

export const manifestSchema = z
  .object({
    columns: z
      .array(
        propertyMapping.extend({
          /** The column as the file's header names it (`First Name` is column First_Name; either spelling works). */
          column: z.string().min(1).max(255),
        }),
      )
      .max(500)
      .default([]),
    delimiter: z.string().min(1).max(16).optional(),
    encoding: z.enum(fileEncodings).optional(),
    header: z.boolean().optional(),
    quote: z.string().length(1).optional(),
  })
  .strict();
export type Manifest = z.infer<typeof manifestSchema>;

/**
 * Where a data type puts a manifest's columns: the one field of its mapping that lists typed columns (each a
 * `propertyMapping`, as a manifest's columns are; defaulted or optional), or null when its mapping has none.
 * So a data type declares it by its mapping: a profile's attributes, an activity's properties. A mapping
 * with two such lists would leave the choice open, and is refused.
 */
export function manifestFieldOf(
  schema: z.ZodObject<{ dataType: z.ZodLiteral<string>; mapping: z.ZodObject }>,
): string | null {
  const lists = Object.entries(schema.shape.mapping.shape).flatMap(([field, s]) => {
    let t = s as z.ZodType;
    while (t instanceof z.ZodDefault || t instanceof z.ZodOptional) t = t.unwrap() as z.ZodType;
    return t instanceof z.ZodArray && t.element === propertyMapping ? [field] : [];
  });
  if (lists.length > 1) {
    throw new Error(
      `data type ${String(schema.shape.dataType.value)}: its mapping has several lists of typed columns (${lists.join(', ')}); a manifest's columns need exactly one to go to`,
    );
  }
  return lists[0] ?? null;
}

/** Each data type's field for a manifest's columns (null: it takes none), in the registry's order. */
export const manifestFields: ReadonlyMap<DataType, string | null> = new Map(
  dataTypeSpecs.map((s) => [s.schema.shape.dataType.value, manifestFieldOf(s.schema)]),
);

/** Which mapping fields take a manifest's columns, for an error: `attributes (profile) or properties (activity)`. */
export function manifestFieldsText(): string {
  const taking = [...manifestFields].flatMap(([type, field]) => (field ? [`${field} (${type})`] : []));
  return taking.length > 1 ? `${taking.slice(0, -1).join(', ')} or ${taking.at(-1)}` : (taking[0] ?? 'nothing');
}
