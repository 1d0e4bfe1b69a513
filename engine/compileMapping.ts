/**
 * A spec's row mapping, compiled once per batch: the shared steps (engine/mapValidate.ts) put together by
 * the spec's data type (dataTypes/<type>/<type>.ts).
 */
import type { ImportSpec } from '../domain/importSpec';
import { dataTypes } from '../dataTypes';
import { type CompiledMapping, type MappingHooks, mappingKit } from './mapValidate';

export function compileMapping(spec: ImportSpec, hooks: MappingHooks = {}): CompiledMapping {
  const kit = mappingKit(spec, hooks);
  // The registry is keyed by data type, so the definition is this spec's.
  const map = dataTypes[spec.dataType].compile(spec as never, kit);
  return { columns: kit.columns, cursorIndex: kit.cursorIndex, keyIndex: kit.keyIndex, map };
}
