/**
 * A drop folder's manifest columns go to the mapping field the data type's own spec has for a list of typed
 * columns (a profile's attributes, an activity's properties); a data type with none refuses them, with the
 * wording the drop folder has always used. fileSpec builds one file's spec as the listing activity does.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fileSpec } from '../../activities/dropFolder';
import { ConfigurationError } from '../../connectors/source';
import {
  common,
  FILE_CURSOR,
  type ImportSpec,
  parseImportSpec,
  propertyMapping,
  userRef,
} from '../../domain/importSpec';
import { manifestFieldOf, manifestFields } from '../../domain/manifest';

const folder = { path: 'in', format: 'csv' as const };
const base = { name: 'drop', source: { connection: 'drop', folder }, cursor: FILE_CURSOR };
const mappings = {
  profile: { userId: { column: 'email' }, attributes: [{ column: 'old' }] },
  activity: { userId: { column: 'email' }, eventType: { value: 'order' }, timestamp: { column: 'at' } },
  segments: { userId: { column: 'email' }, segment: { column: 'seg' } },
  identity: {
    left: { idType: { value: 'email' }, value: { column: 'a' } },
    right: { idType: { value: 'crm' }, value: { column: 'b' } },
  },
  group: { userId: { column: 'email' }, groupId: { column: 'g' }, groupType: { value: 'account' } },
};
const folderSpec = (dataType: keyof typeof mappings): ImportSpec =>
  parseImportSpec({ id: `drop-${dataType}`, dataType, ...base, mapping: mappings[dataType] });
const oneFile = (dataType: keyof typeof mappings, manifest: unknown) => {
  const spec = folderSpec(dataType);
  return fileSpec(spec, spec.source.folder!, 'in/f.csv', JSON.stringify(manifest));
};
const manifest = {
  columns: [
    { column: 'Plan Name', type: 'string' },
    { column: 'paid', type: 'date', format: 'dd/MM/yyyy' },
  ],
};
const mapped = [
  { column: 'Plan_Name', property: 'Plan Name', type: 'string' },
  { column: 'paid', property: 'paid', type: 'date', format: 'dd/MM/yyyy' },
];

describe("a manifest's columns", () => {
  it("each data type's field for them, read from its spec's mapping", () => {
    expect(Object.fromEntries(manifestFields)).toEqual({
      profile: 'attributes',
      activity: 'properties',
      segments: null,
      identity: null,
      group: null,
    });
  });

  it('are placed by the data type, not by the drop folder: it names no data type', () => {
    const source = readFileSync(new URL('../../activities/dropFolder.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/'(profile|activity|segments|identity|group)'/);
  });

  it("become a profile's attributes (in place of the folder's) and an activity's properties", () => {
    expect(oneFile('profile', manifest).mapping).toEqual({ ...folderSpec('profile').mapping, attributes: mapped });
    expect(oneFile('activity', manifest).mapping).toEqual({ ...folderSpec('activity').mapping, properties: mapped });
  });

  it('are refused by a data type that takes none, naming the types that do', () => {
    for (const dataType of ['segments', 'identity', 'group'] as const) {
      const refused = () => oneFile(dataType, manifest);
      expect(refused).toThrow(ConfigurationError);
      expect(refused).toThrow(
        `manifest columns map attributes (profile) or properties (activity); a ${dataType} import takes none`,
      );
      // Without columns, the manifest is only the signal (and the format): the mapping stays the folder's.
      expect(oneFile(dataType, { delimiter: 'pipe' }).mapping).toEqual(folderSpec(dataType).mapping);
    }
  });

  it('need exactly one list of typed columns in a mapping to go to', () => {
    const widget = (mapping: z.ZodObject) => z.object({ ...common, dataType: z.literal('widget'), mapping }).strict();
    expect(manifestFieldOf(widget(z.object({ ...userRef, tags: z.array(propertyMapping).optional() })))).toBe('tags');
    // A list of something else is not one.
    expect(manifestFieldOf(widget(z.object({ ...userRef, names: z.array(z.string()).default([]) })))).toBeNull();
    expect(() =>
      manifestFieldOf(
        widget(z.object({ ...userRef, a: z.array(propertyMapping).default([]), b: z.array(propertyMapping) })),
      ),
    ).toThrow(
      "data type widget: its mapping has several lists of typed columns (a, b); a manifest's columns need exactly one to go to",
    );
  });
});
