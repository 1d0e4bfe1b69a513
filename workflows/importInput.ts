/**
 * The import workflow's one input object, and the reading of the positional arguments it replaced.
 * Deterministic code only: bundled into the workflow sandbox, and imported by clients for the type.
 */
import type { RunScope } from '../activities';
import type { ImportSpecInput } from '../domain/importSpec';
import type { RunControl } from './definitions';

/** State carried across continue-as-new. */
export interface ImportCarry {
  runId: number;
  upperBound: string | null;
  nullCursorRows: number;
  paused: boolean;
  sourceKind: string;
}

/**
 * What importWorkflow is started with: `{ spec }` for a plain run, as `temporal workflow start --input`
 * gives it. `carry` is set only by the workflow itself when it continues as new; `scope` runs the import
 * over its own position stream (a backfill partition, one file of a drop folder); `control` steers it.
 */
export interface ImportWorkflowInput {
  spec: ImportSpecInput;
  carry?: ImportCarry | null;
  scope?: RunScope | null;
  control?: RunControl | null;
}

/**
 * The workflow's arguments as one input. Runs started before the input was one object carry positional
 * arguments `[spec, carry?, scope?, control?]` in their history (schedules created then still start them
 * so, and a continue-as-new from an older worker too): those are read into the same object. A spec never
 * has a `spec` field (its schema is strict), so a lone argument with one is the object shape.
 */
export function importInputOf(args: readonly unknown[]): ImportWorkflowInput {
  const [first, carry, scope, control] = args;
  if (args.length === 1 && isObject(first) && 'spec' in first) return first as unknown as ImportWorkflowInput;
  return {
    spec: first as ImportSpecInput,
    carry: (carry ?? null) as ImportCarry | null,
    scope: (scope ?? null) as RunScope | null,
    control: control ?? null,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
