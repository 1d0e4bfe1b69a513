/**
 * importWorkflow takes one input object; runs started before that carry positional arguments
 * `[spec, carry?, scope?, control?]` in their history, and must read the same.
 */
import { expect, it } from 'vitest';
import { importInputOf } from '../../workflows/importInput';

const spec = {
  id: 'people',
  name: 'People',
  dataType: 'profile',
  source: { connection: 'warehouse', table: 'people' },
};
const carry = {
  runId: 7,
  upperBound: '2026-01-01 00:00:00+00',
  nullCursorRows: 0,
  paused: true,
  sourceKind: 'postgres',
};
const scope = { stream: 'backfill:b:0', after: null, upperBound: '2026-01-01 00:00:00+00' };
const control = { rowsPerSecond: 500, batchesPerExecution: 2 };

it('takes the one input object as it is', () => {
  const input = { spec, carry, scope, control };
  expect(importInputOf([input])).toBe(input);
  expect(importInputOf([{ spec }])).toEqual({ spec });
});

it('reads the positional arguments of older starts and continue-as-new into the same object', () => {
  expect(importInputOf([spec])).toEqual({ spec, carry: null, scope: null, control: null });
  expect(importInputOf([spec, null, null, control])).toEqual({ spec, carry: null, scope: null, control });
  expect(importInputOf([spec, undefined, scope])).toEqual({ spec, carry: null, scope, control: null });
  expect(importInputOf([spec, carry, scope, control])).toEqual({ spec, carry, scope, control });
});

it('hands a spec that is not an object on to the spec parser, which names the problem', () => {
  expect(importInputOf(['people'])).toEqual({ spec: 'people', carry: null, scope: null, control: null });
  expect(importInputOf([])).toEqual({ spec: undefined, carry: null, scope: null, control: null });
});
