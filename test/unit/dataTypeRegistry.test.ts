/**
 * The data type registry's checks: a stage layout and the lines a mapping writes are declared once and
 * must agree (a wrong field count does not compile; a line written otherwise is refused at registration),
 * and the registry holds the same data types as the spec registry.
 */
import { describe, expect, it } from 'vitest';
import { dataTypeList, dataTypes } from '../../dataTypes';
import {
  checkedRegistry,
  type DataTypeDefinition,
  rowLine,
  stageLayoutProblem,
  stageLine,
  stageTableColumns,
  stageWidth,
} from '../../dataTypes/dataType';
import { dataTypeSpecs } from '../../dataTypes/specs';
import { importSpec } from '../../domain/importSpec';
import { copyField, mappingKit } from '../../engine/mapValidate';
import { parseImportSpec } from '../../domain/importSpec';
import { eventLoader } from '../../dataTypes/activity/events';

const specNames = dataTypeSpecs.map((s) => s.schema.shape.dataType.value);

describe('stage layouts', () => {
  it('the stage table of each data type, as its merge reads it', () => {
    expect(Object.fromEntries(dataTypeList.map((t) => [t.dataType, stageTableColumns(t.stage)]))).toEqual({
      profile: 'id_type text, id_value text, attributes jsonb, source_order numeric',
      activity: 'id_type text, id_value text, memory_key uuid',
      segments: 'id_type text, id_value text, segment text, removed boolean, source_order numeric',
      identity: 'left_type text, left_value text, right_type text, right_value text',
      group:
        'id_type text, id_value text, group_type text, group_id text, role text, removed boolean, source_order numeric',
    });
  });

  it('a line takes exactly one field per stage column: more or fewer do not compile', () => {
    const line = stageLine([
      ['id', 'user'],
      ['n', 'integer'],
    ] as const);
    expect(line(7, 'email\ta@b', '3')).toBe('7\temail\ta@b\t3\n');
    // Checked by the compiler (npm run check): each call below is an error, which the directive expects.
    const miscounted = () => [
      // @ts-expect-error one field short
      line(7, 'email\ta@b'),
      // @ts-expect-error one field too many
      line(7, 'email\ta@b', '3', 'x'),
    ];
    expect(typeof miscounted).toBe('function');
  });

  it('every registered data type writes lines as wide as its stage', () => {
    for (const t of dataTypeList) expect(stageLayoutProblem(t), t.dataType).toBeNull();
  });

  it('a mapping that writes a line by hand, one field off its stage, is refused at registration naming the type', () => {
    const profile = dataTypes.profile as DataTypeDefinition<'profile'>;
    // A column added to the stage, but not to the line the mapping writes.
    const wider: DataTypeDefinition<'profile'> = { ...profile, stage: [...profile.stage, ['extra', 'text']] };
    const defs = dataTypeList.map((t) => (t.dataType === 'profile' ? wider : t));
    expect(() => checkedRegistry(defs, specNames)).toThrow(
      'data type profile: its mapping stages 5 fields (seq included), its stage declares 6: id_type text, id_value text, attributes jsonb, source_order numeric, extra text',
    );
    // A line written without the layout's builder, one field short.
    const handWritten: DataTypeDefinition<'profile'> = {
      ...profile,
      compile: (spec, kit) => {
        const u = kit.user(spec.mapping.userId.column, spec.mapping.idType);
        return (row, seq) => {
          const a = u(row);
          return a.ok ? { ok: true, text: `${seq}\t${a.value}\t${copyField('{}')}\n` } : a.err;
        };
      },
    };
    expect(() =>
      checkedRegistry(
        dataTypeList.map((t) => (t.dataType === 'profile' ? handWritten : t)),
        specNames,
      ),
    ).toThrow(/^data type profile: its mapping stages 4 fields \(seq included\), its stage declares 5/);
  });

  it('the registry and the spec registry name the same data types, in the same order', () => {
    expect(dataTypeList.map((t) => t.dataType)).toEqual(specNames);
    expect(importSpec.options.map((o) => o.shape.dataType.value)).toEqual(specNames);
    expect(() => checkedRegistry(dataTypeList.slice(1), specNames)).toThrow(
      /data types registered \(activity, segments, identity, group\) differ from the specs registered \(profile, activity/,
    );
    expect(stageWidth(dataTypes.identity.stage)).toBe(5);
  });
});

describe('the events row (COPY straight into events)', () => {
  /** The columns the COPY names, in order. */
  const copyColumns = (into: string) =>
    into
      .slice(into.indexOf('(') + 1, into.lastIndexOf(')'))
      .split(',')
      .map((c) => c.trim());

  it("has one field per column the COPY names: the batch's import id and run id, then the mapping's row line", () => {
    expect(eventLoader.copyRowsInto).toBe(
      'events (import_id, run_id, id_type, id_value, event_type, occurred_at, properties, dedup_key, memory_key)',
    );
    const activity = dataTypes.activity as DataTypeDefinition<'activity'>;
    const spec = parseImportSpec({
      ...activity.example.spec,
      mapping: {
        ...activity.example.spec.mapping,
        properties: [{ column: 'note' }],
      },
    });
    const kit = mappingKit(spec);
    const map = activity.compile(spec as never, kit);
    const values: Record<string, string> = { ...activity.example.row, note: 'tab\there, newline\nthere' };
    const r = map(
      kit.columns.map((c) => values[c] ?? null),
      1,
    );
    if (!r.ok) throw new Error(r.reason);
    expect(r.row!.endsWith('\n')).toBe(true);
    const fields = r.row!.slice(0, -1).split('\t');
    expect(2 + fields.length).toBe(copyColumns(eventLoader.copyRowsInto!).length);
    expect(fields.slice(0, 4)).toEqual(['external_id', 'a@example.com', 'order', '2024-01-01T00:00:00.000000Z']);
    // JSON escapes the tab and newline (\t), and COPY text escapes that backslash (\\t).
    expect(fields[4]).toBe('{"note":"tab\\\\there, newline\\\\nthere"}');
  });

  it('a row line takes exactly one field per column: more or fewer do not compile', () => {
    const line = rowLine([
      ['id', 'user'],
      ['n', 'integer'],
    ] as const);
    expect(line('email\ta@b', '3')).toBe('email\ta@b\t3\n');
    const miscounted = () => [
      // @ts-expect-error one field short
      line('email\ta@b'),
      // @ts-expect-error one field too many
      line('email\ta@b', '3', 'x'),
    ];
    expect(typeof miscounted).toBe('function');
  });

  it('a row line written by hand, one field off its layout, or a COPY naming other columns, is refused at registration', () => {
    const activity = dataTypes.activity as DataTypeDefinition<'activity'>;
    const swap = (def: DataTypeDefinition<'activity'>) =>
      dataTypeList.map((t) => (t.dataType === 'activity' ? def : t));
    // The row line without its memory key.
    const short: DataTypeDefinition<'activity'> = {
      ...activity,
      compile: (spec, kit) => {
        const map = activity.compile(spec, kit);
        return (row, seq) => {
          const r = map(row, seq);
          return r.ok && r.row ? { ...r, row: `${r.row.slice(0, r.row.lastIndexOf('\t'))}\n` } : r;
        };
      },
    };
    expect(() => checkedRegistry(swap(short), specNames)).toThrow(
      'data type activity: its mapping writes row lines of 6 fields, its row layout declares 7: id_type, id_value, event_type, occurred_at, properties, dedup_key, memory_key',
    );
    // The COPY written by hand, a column left out.
    const otherCopy: DataTypeDefinition<'activity'> = {
      ...activity,
      loader: {
        ...activity.loader,
        copyRowsInto: 'events (import_id, run_id, id_type, id_value, event_type, occurred_at, properties, dedup_key)',
      },
    };
    expect(() => checkedRegistry(swap(otherCopy), specNames)).toThrow(
      /^data type activity: its loader COPYs rows into events \(import_id, run_id, id_type, id_value, event_type, occurred_at, properties, dedup_key\), its row layout declares events \(.*, memory_key\)$/,
    );
    // A row line, but no layout to check it against.
    const undeclared: DataTypeDefinition<'activity'> = { ...activity, row: undefined };
    expect(() => checkedRegistry(swap(undeclared), specNames)).toThrow(
      /^data type activity: its loader COPYs rows into events \(.*\), but it declares no row layout \(row\)$/,
    );
    expect(stageLayoutProblem(activity)).toBeNull();
  });
});
