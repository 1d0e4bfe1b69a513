/**
 * A drop folder's manifest: a JSON file beside each data file (`<data file>.manifest.json`) that says how
 * to read it. Its arrival is the signal that the data file is complete. `columns` maps the file's
 * columns to properties, with their types and date formats (the attributes of a profile import, the
 * properties of an activity import); the format fields override the folder's for this one file.
 */
import { z } from 'zod';
import { fileEncodings, propertyMapping } from './importSpec';

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
