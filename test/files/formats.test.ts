/**
 * The tricky-file corpus: each CSV (quotes, newlines in fields, BOM, CRLF/LF, empty vs empty-quoted,
 * every encoding and delimiter we claim, ragged rows, duplicate headers) read through the real file
 * session, asserted on the exact values or the exact row error; resumes from a position mid-file; the
 * limits; NDJSON, XML and Parquet.
 */
import iconv from 'iconv-lite';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { parseImportSpec } from '../../domain/importSpec';
import { toJson } from '../../domain/values';
import { readFileRows } from './readFile';

describe('CSV (RFC 4180)', () => {
  it('reads quoted fields holding delimiters, doubled quotes and newlines, and numbers lines by where records start', async () => {
    const csv = 'id,name,note\n1,"Smith, Jo","said ""hi"""\n2,"multi\nline\r\nfield",x\n3,plain,"a,b\nc"\n4,last,end';
    const out = await readFileRows(csv, {});
    expect(out.columns).toEqual(['id', 'name', 'note']);
    expect(out.rows).toEqual([
      { id: '1', name: 'Smith, Jo', note: 'said "hi"' },
      { id: '2', name: 'multi\nline\r\nfield', note: 'x' },
      { id: '3', name: 'plain', note: 'a,b\nc' },
      { id: '4', name: 'last', note: 'end' },
    ]);
    expect(out.positions.map((p) => p.cursor)).toEqual(['2', '3', '6', '8']);
    expect(out.positions.map((p) => p.key)).toEqual(['data.csv@13', 'data.csv@41', 'data.csv@65', 'data.csv@81']);
  });

  it('drops a UTF-8 BOM and reads CRLF and LF line ends alike', async () => {
    const crlf = await readFileRows('\uFEFFid,name\r\n1,Ana\r\n2,Bo\r\n', {});
    expect(crlf.columns).toEqual(['id', 'name']);
    expect(crlf.rows).toEqual([
      { id: '1', name: 'Ana' },
      { id: '2', name: 'Bo' },
    ]);
    expect(crlf.positions[0]).toEqual({ cursor: '2', key: 'data.csv@12' });
    const lf = await readFileRows('id,name\n1,Ana\n\n2,Bo', {});
    expect(lf.rows).toEqual([
      { id: '1', name: 'Ana' },
      { id: '2', name: 'Bo' },
    ]);
    expect(lf.positions.map((p) => p.cursor)).toEqual(['2', '4']); // the blank line 3 is no record
  });

  it('ends a record at a CR alone, as at LF or CRLF (mixed or not, last line or not); inside quotes a CR is data', async () => {
    expect((await readFileRows('id,name\r\n1,Ann\r\n2,Bo\r', {})).rows).toEqual([
      { id: '1', name: 'Ann' },
      { id: '2', name: 'Bo' },
    ]);
    expect((await readFileRows('id,name\r\n1,"Ann"\r', {})).rows).toEqual([{ id: '1', name: 'Ann' }]);
    expect((await readFileRows('id,name\r\n1,\r', {})).rows).toEqual([{ id: '1', name: null }]);
    const header = await readFileRows('id,name\r', {});
    expect(header.columns).toEqual(['id', 'name']);
    expect(header.rows).toEqual([]);
    // Python's csv and spreadsheets read a CR alone as a line end (Postgres's COPY refuses it unquoted in a
    // file whose lines end otherwise): 'y' is a record of its own, one field short.
    expect((await readFileRows('id,name\n1,x\ry\n2,"a\r"\n', {}, { name: 'mixed.csv' })).rows).toEqual([
      { id: '1', name: 'x' },
      { error: 'mixed.csv line 3: 1 field where the header has 2' },
      { id: '2', name: 'a\r' },
    ]);
    // A file saved with CR line ends: one record per line, numbered by line.
    const mac = await readFileRows('id,name\r1,Ann\r2,"B\ro"\r3,Cy', {});
    expect(mac.columns).toEqual(['id', 'name']);
    expect(mac.rows).toEqual([
      { id: '1', name: 'Ann' },
      { id: '2', name: 'B\ro' },
      { id: '3', name: 'Cy' },
    ]);
    expect(mac.positions.map((p) => p.cursor)).toEqual(['2', '3', '4']);
  });

  it('keeps an empty field (NULL) apart from an empty quoted string', async () => {
    const out = await readFileRows('a,b,c,d\n1,,"",\n', {});
    expect(out.rows).toEqual([{ a: '1', b: null, c: '', d: null }]);
  });

  it('turns a ragged row into a row error naming file, line and counts, and reads on', async () => {
    const out = await readFileRows('a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n', {}, { name: 'orders.csv' });
    expect(out.rows).toEqual([
      { a: '1', b: '2', c: '3' },
      { error: 'orders.csv line 3: 2 fields where the header has 3' },
      { error: 'orders.csv line 4: 4 fields where the header has 3' },
      { a: '10', b: '11', c: '12' },
    ]);
  });

  it('reports text after a closing quote and a quote never closed as row errors with their lines', async () => {
    const bad = await readFileRows('a,b\n1,"x"y\n2,ok\n3,"never closed\n', {}, { name: 'bad.csv' });
    expect(bad.rows).toEqual([
      { error: 'bad.csv line 2: line 2: text after the closing quote of field 2' },
      { a: '2', b: 'ok' },
      { error: 'bad.csv line 4: a quoted field starting on line 4 is never closed' },
    ]);
  });

  it('makes duplicate and unmappable header names distinct column names', async () => {
    const out = await readFileRows('id,name,name,Name,first name,2nd,,_line\n1,a,b,c,d,e,f,g\n', {});
    expect(out.columns).toEqual(['id', 'name', 'name_2', 'Name', 'first_name', '_2nd', 'col_7', '_line_2']);
    expect(out.rows[0]).toEqual({
      id: '1',
      name: 'a',
      name_2: 'b',
      Name: 'c',
      first_name: 'd',
      _2nd: 'e',
      col_7: 'f',
      _line_2: 'g',
    });
  });

  it('names columns col_1… when there is no header row', async () => {
    const out = await readFileRows('1,a\n2,b\n', { header: false });
    expect(out.columns).toEqual(['col_1', 'col_2']);
    expect(out.rows).toEqual([
      { col_1: '1', col_2: 'a' },
      { col_1: '2', col_2: 'b' },
    ]);
  });

  const delimiters: [string, string][] = [
    ['comma', ','],
    ['tab', '\t'],
    ['semicolon', ';'],
    ['pipe', '|'],
    ['colon', ':'],
    ['space', ' '],
    ['caret', '^'],
    ['tilde', '~'],
    ['#', '#'],
  ];
  it.each(delimiters)('reads the %s delimiter, quoted where a field holds it', async (name, d) => {
    const csv = `id${d}city${d}note\n1${d}"Rio${d}BR"${d}x\n2${d}Oslo${d}\n`;
    const out = await readFileRows(csv, { delimiter: name });
    expect(out.rows).toEqual([
      { id: '1', city: `Rio${d}BR`, note: 'x' },
      { id: '2', city: 'Oslo', note: null },
    ]);
  });

  const encodings: [string, string][] = [
    ['latin1', 'Zoë Ñandú, São'],
    ['iso-8859-1', 'Ångström'],
    ['iso-8859-2', 'Kraków Łódź Žižkov'],
    ['iso-8859-15', '€uro Œuvre'],
    ['windows-1250', 'Łódź Dvořák'],
    ['windows-1251', 'Москва, Київ'],
    ['windows-1252', 'Café “quoted” 5€'],
    ['windows-1253', 'Αθήνα'],
    ['windows-1254', 'İstanbul ğış'],
    ['windows-1255', 'שלום'],
    ['windows-1256', 'مرحبا'],
    ['windows-1257', 'Rīga Ķekava'],
    ['windows-1258', 'Hà Nam đông'],
  ];
  it.each(encodings)('decodes %s exactly, and resumes at the right byte', async (encoding, text) => {
    const csv = `id,name\n1,"${text}"\n2,${text.replace(/,/g, ' ')}\n3,end\n`;
    const bytes = iconv.encode(csv, encoding);
    expect(bytes.equals(Buffer.from(csv, 'utf8'))).toBe(false); // really not UTF-8
    const out = await readFileRows(bytes, { encoding: encoding as never });
    expect(out.rows).toEqual([
      { id: '1', name: text },
      { id: '2', name: text.replace(/,/g, ' ') },
      { id: '3', name: 'end' },
    ]);
    const rest = await readFileRows(bytes, { encoding: encoding as never }, { after: out.positions[0] });
    expect(rest.rows).toEqual(out.rows.slice(1));
  });

  it.each([['utf-16le'], ['utf-16be']])(
    'decodes UTF-16 (%s with a BOM, spec saying utf-16) and resumes mid-file',
    async (enc) => {
      const csv = 'id,name\r\n1,"Zoë\r\nSmith"\r\n2,𝄞 clef\r\n3,Ωmega\r\n';
      const body = iconv.encode(csv, enc);
      const bom = enc === 'utf-16le' ? Buffer.from([0xff, 0xfe]) : Buffer.from([0xfe, 0xff]);
      const bytes = Buffer.concat([bom, body]);
      const out = await readFileRows(bytes, { encoding: 'utf-16' });
      expect(out.columns).toEqual(['id', 'name']);
      expect(out.rows).toEqual([
        { id: '1', name: 'Zoë\r\nSmith' },
        { id: '2', name: '𝄞 clef' },
        { id: '3', name: 'Ωmega' },
      ]);
      const rest = await readFileRows(bytes, { encoding: 'utf-16' }, { after: out.positions[1] });
      expect(rest.rows).toEqual([{ id: '3', name: 'Ωmega' }]);
      expect(rest.positions[0]!.cursor).toBe('5');
    },
  );

  it('resumes after any record of a UTF-8 file with multi-byte characters and embedded newlines, never repeating or skipping', async () => {
    const lines = ['id,text'];
    for (let i = 1; i <= 40; i++)
      lines.push(i % 3 === 0 ? `${i},"naïve ""q""\nover two lines ✓"` : `${i},ünïcödé ${i}`);
    const csv = `\uFEFF${lines.join('\r\n')}\r\n`;
    const all = await readFileRows(csv, {});
    expect(all.rows).toHaveLength(40);
    for (let k = 0; k < 40; k += 7) {
      const rest = await readFileRows(csv, {}, { after: all.positions[k] });
      expect(rest.rows).toEqual(all.rows.slice(k + 1));
      expect(rest.positions).toEqual(all.positions.slice(k + 1));
    }
    const batch = await readFileRows(csv, {}, { after: all.positions[4], limit: 3 });
    expect(batch.rows).toEqual(all.rows.slice(5, 8));
  });

  it('refuses bytes that are not UTF-8 in a UTF-8 file (offsets would be wrong), asking for the real encoding', async () => {
    const bytes = Buffer.concat([Buffer.from('id,name\n1,'), Buffer.from([0x43, 0x61, 0x66, 0xe9]), Buffer.from('\n')]); // "Café" in latin1
    await expect(readFileRows(bytes, {}, { name: 'latin.csv' })).rejects.toThrow(
      /^file latin\.csv is not valid UTF-8 \(.*\); give its encoding, e\.g\. "encoding": "windows-1252", in the block of bytes from offset 0$/,
    );
  });

  it('enforces the column and size limits with a message naming the file, the figure and the limit', async () => {
    await expect(
      readFileRows('a,b,c,d\n1,2,3,4\n', { limits: { maxColumns: 3, maxBytes: 1000 } }, { name: 'wide.csv' }),
    ).rejects.toThrow('file wide.csv has 4 columns, over the limit of 3 (limits.maxColumns)');
    await expect(
      readFileRows('a\n'.repeat(600), { limits: { maxColumns: 10, maxBytes: 1000 } }, { name: 'big.csv' }),
    ).rejects.toThrow('file big.csv is 1,200 bytes, over the limit of 1,000 bytes (limits.maxBytes)');
  });
});

describe('NDJSON', () => {
  it('reads members as columns: numbers exactly, nested values as JSON, absent as NULL; a bad line is a row error', async () => {
    const nd = [
      '{"id": 1, "big": 123456789012345678901234.5678, "ok": true, "tags": ["a", "b"], "user": {"email": "a@x.io"}}',
      '',
      '{"id": 2, "note": "second", "ok": false}',
      'not json',
      '[1, 2]',
      '{"id": 3, "big": null}',
    ].join('\n');
    const out = await readFileRows(nd, { format: 'ndjson' }, { name: 'events.ndjson' });
    expect(out.columns).toEqual(['id', 'big', 'ok', 'tags', 'user', 'note']);
    expect(out.rows).toEqual([
      {
        id: '1',
        big: '123456789012345678901234.5678',
        ok: 'true',
        tags: '["a","b"]',
        user: '{"email":"a@x.io"}',
        note: null,
      },
      { id: '2', big: null, ok: 'false', tags: null, user: null, note: 'second' },
      { error: expect.stringMatching(/^events\.ndjson line 4: not JSON/) },
      { error: 'events.ndjson line 5: a JSON object was expected' },
      { id: '3', big: null, ok: null, tags: null, user: null, note: null },
    ]);
    const rest = await readFileRows(nd, { format: 'ndjson' }, { after: out.positions[1], name: 'events.ndjson' });
    expect(rest.rows).toEqual(out.rows.slice(2));
  });

  it('names members whose names clash as CSV names header cells (_2, _3, …), in the columns and in every row, resumed or not', async () => {
    const nd = [
      '{"first name": "Ann", "first_name": "Bob", "_line": "L7", "a-b": 1, "a.b": 2, "": "no name"}',
      '{"a.b": 3, "first_name": "Cy"}',
      '{"first name": "Dee"}',
    ].join('\n');
    const out = await readFileRows(nd, { format: 'ndjson' });
    expect(out.columns).toEqual(['first_name', 'first_name_2', '_line_2', 'a_b', 'a_b_2', 'col_6']);
    expect(out.rows).toEqual([
      { first_name: 'Ann', first_name_2: 'Bob', _line_2: 'L7', a_b: '1', a_b_2: '2', col_6: 'no name' },
      { first_name: null, first_name_2: 'Cy', _line_2: null, a_b: null, a_b_2: '3', col_6: null },
      { first_name: 'Dee', first_name_2: null, _line_2: null, a_b: null, a_b_2: null, col_6: null },
    ]);
    // A read resumed after the first record starts at "a.b": it is still a_b_2.
    const rest = await readFileRows(nd, { format: 'ndjson' }, { after: out.positions[0] });
    expect(rest.rows).toEqual(out.rows.slice(1));
  });

  it('keeps a member first seen past the scanned records off the columns the scan named', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ id: i, first_name: `n${i}` }));
    lines.push('{"id": 1000, "first name": "late"}');
    const out = await readFileRows(lines.join('\n'), { format: 'ndjson' });
    expect(out.columns).toEqual(['id', 'first_name']);
    expect(out.rows[1000]).toEqual({ id: '1000', first_name: null });
  });

  it('keeps members named __proto__: a column of that name, and inside nested values', async () => {
    const nd = '{"id": 1, "p": {"__proto__": 5, "b": 1}, "__proto__": {"x": [1]}}\n';
    const out = await readFileRows(nd, { format: 'ndjson' }, { name: 'proto.ndjson' });
    expect(out.columns).toEqual(['id', 'p', '__proto__']);
    expect(out.rows).toEqual([{ id: '1', p: '{"__proto__":5,"b":1}', ['__proto__']: '{"x":[1]}' }]);
  });
});

describe('XML', () => {
  it('flattens each record element to columns (attributes, nested paths, repeats as a JSON array) and resumes by record', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<export>
  <orders>
    <order id="7" status="paid">
      <customer><email>a@x.io</email><name>Zoë</name></customer>
      <total currency="EUR">12.50</total>
      <item>pen</item><item>ink</item>
    </order>
    <order id="8"><customer><email>b@x.io</email></customer><note><![CDATA[a <b> & c]]></note></order>
  </orders>
</export>`;
    const out = await readFileRows(xml, { format: 'xml', recordPath: 'export/orders/order' });
    expect(out.columns).toEqual([
      'id',
      'status',
      'customer_email',
      'customer_name',
      'total_currency',
      'total',
      'item',
      'note',
    ]);
    expect(out.rows).toEqual([
      {
        id: '7',
        status: 'paid',
        customer_email: 'a@x.io',
        customer_name: 'Zoë',
        total_currency: 'EUR',
        total: '12.50',
        item: '["pen","ink"]',
        note: null,
      },
      {
        id: '8',
        status: null,
        customer_email: 'b@x.io',
        customer_name: null,
        total_currency: null,
        total: null,
        item: null,
        note: 'a <b> & c',
      },
    ]);
    expect(out.positions).toEqual([
      { cursor: '4', key: 'data.xml#1' },
      { cursor: '9', key: 'data.xml#2' },
    ]);
    const rest = await readFileRows(
      xml,
      { format: 'xml', recordPath: 'export/orders/order' },
      { after: out.positions[0] },
    );
    expect(rest.rows).toEqual(out.rows.slice(1));
  });
  it('keeps text as written: spaces, CDATA, a blank element, mixed content across child elements; drops only indentation', async () => {
    const xml = `<users>
  <user id="1">
    <name>  Ann Lee  </name>
    <note><![CDATA[  two leading spaces]]></note>
    <bio>Hello <b>big</b> world</bio>
    <nick> </nick>
    <empty></empty>
    <motto>a &amp; b<!-- not text --> c\n  second line</motto>
    <address>
      <city>Oslo</city>
    </address>
    <a-b>1</a-b><a_b>2</a_b>
  </user>
</users>`;
    const out = await readFileRows(xml, { format: 'xml', recordPath: 'users/user' });
    expect(out.columns).toEqual([
      'id',
      'name',
      'note',
      'bio_b',
      'bio',
      'nick',
      'motto',
      'address_city',
      'a_b',
      'a_b_2',
    ]);
    expect(out.rows).toEqual([
      {
        id: '1',
        name: '  Ann Lee  ',
        note: '  two leading spaces',
        bio_b: 'big',
        bio: 'Hello big world',
        nick: ' ',
        motto: 'a & b c\n  second line',
        address_city: 'Oslo',
        a_b: '1',
        a_b_2: '2',
      },
    ]);
  });
});

describe('Parquet', () => {
  it('reads typed columns as exact text (64-bit integers whole) and resumes at a row without re-reading', async () => {
    const n = 2500;
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'id', data: BigInt64Array.from({ length: n }, (_, i) => 9007199254740993n + BigInt(i)), type: 'INT64' },
        { name: 'email', data: Array.from({ length: n }, (_, i) => `u${i}@x.io`), type: 'STRING' },
        {
          name: 'score',
          data: Array.from({ length: n }, (_, i) => (i % 10 === 0 ? null : i / 4)),
          type: 'DOUBLE',
          nullable: true,
        },
        { name: 'active', data: Array.from({ length: n }, (_, i) => i % 2 === 0), type: 'BOOLEAN' },
      ],
      rowGroupSize: 1000,
    });
    const bytes = Buffer.from(buf);
    const out = await readFileRows(bytes, { format: 'parquet' });
    expect(out.columns).toEqual(['id', 'email', 'score', 'active']);
    expect(out.rows).toHaveLength(n);
    expect(out.rows[0]).toEqual({ id: '9007199254740993', email: 'u0@x.io', score: null, active: 'true' });
    expect(out.rows[1501]).toEqual({ id: '9007199254742494', email: 'u1501@x.io', score: '375.25', active: 'false' });
    expect(out.positions[1501]).toEqual({ cursor: '1502', key: 'data.parquet#1502' });
    const rest = await readFileRows(bytes, { format: 'parquet' }, { after: out.positions[1499], limit: 3 });
    expect(rest.rows).toEqual(out.rows.slice(1500, 1503));
  });
  // Columns declared as a Parquet writer (Spark, pyarrow) declares them: DECIMAL over INT32, INT64 and
  // FIXED_LEN_BYTE_ARRAY, timestamps in each unit, UTC and local, DATE, FLOAT, DOUBLE, FLOAT16, JSON, a LIST and a struct.
  const decimal = (name: string, type: string, scale: number, precision: number, extra: object = {}) => ({
    name,
    type,
    repetition_type: 'OPTIONAL',
    converted_type: 'DECIMAL',
    scale,
    precision,
    logical_type: { type: 'DECIMAL', scale, precision },
    ...extra,
  });
  const timestamp = (name: string, unit: string, isAdjustedToUTC: boolean) => ({
    name,
    type: 'INT64',
    repetition_type: 'OPTIONAL',
    logical_type: { type: 'TIMESTAMP', isAdjustedToUTC, unit },
  });
  const typedFile = () =>
    Buffer.from(
      parquetWriteBuffer({
        columnData: [
          { name: 'd32', data: [3, -5, null] }, // the writer scales a number: 3 → unscaled 30
          { name: 'd64', data: [1234567890123456789n, -1n, 1250n] }, // a bigint is the unscaled value
          { name: 'dfix', data: [-123456789012345678901234567890n, 5n, 0n] },
          { name: 'dvar', data: [-1000n, 987654321987654321987654321n, 0n] },
          { name: 'raw', data: ['Zoë', '', null] },
          { name: 'ms', data: [1767225600123n, -1n, null] },
          { name: 'us', data: [1767225600123456n, -1n, 0n] },
          { name: 'ns', data: [1767225600123456789n, -1n, 0n] },
          { name: 'local_us', data: [1767225600123456n, 0n, null] },
          { name: 'day', data: [20454, -1, 0] },
          { name: 'f32', data: [0.1, 1.3, 3.4028234663852886e38] },
          { name: 'f64', data: [0.1, 1 / 3, 5e-324] },
          { name: 'f16', data: [0.1, 1 / 3, -2.5] },
          { name: 'doc', data: [{ n: 1 }, null, 'x'] },
          { name: 'doc2', data: ['{"n": 12345678901234567890}', null, '"x"'] }, // written as it is: the writer's JSON.stringify would round
          { name: 'prices', data: [[1n, 250n], [], null] },
          { name: 'meta', data: [{ seen: 1767225600123456789n, ratio: 0.1 }, { seen: null, ratio: 2.5 }, null] },
        ],
        schema: [
          { name: 'root', num_children: 17 },
          decimal('d32', 'INT32', 1, 9),
          decimal('d64', 'INT64', 2, 18),
          decimal('dfix', 'FIXED_LEN_BYTE_ARRAY', 5, 38, { type_length: 16 }),
          decimal('dvar', 'BYTE_ARRAY', 3, 30),
          { name: 'raw', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' }, // no annotation: text by convention
          timestamp('ms', 'MILLIS', true),
          timestamp('us', 'MICROS', true),
          timestamp('ns', 'NANOS', true),
          timestamp('local_us', 'MICROS', false),
          {
            name: 'day',
            type: 'INT32',
            repetition_type: 'OPTIONAL',
            converted_type: 'DATE',
            logical_type: { type: 'DATE' },
          },
          { name: 'f32', type: 'FLOAT', repetition_type: 'OPTIONAL' },
          { name: 'f64', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
          {
            name: 'f16',
            type: 'FIXED_LEN_BYTE_ARRAY',
            type_length: 2,
            repetition_type: 'OPTIONAL',
            logical_type: { type: 'FLOAT16' },
          },
          {
            name: 'doc',
            type: 'BYTE_ARRAY',
            repetition_type: 'OPTIONAL',
            converted_type: 'JSON',
            logical_type: { type: 'JSON' },
          },
          { name: 'doc2', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL', logical_type: { type: 'JSON' } },
          {
            name: 'prices',
            repetition_type: 'OPTIONAL',
            converted_type: 'LIST',
            logical_type: { type: 'LIST' },
            num_children: 1,
          },
          { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
          decimal('element', 'INT64', 2, 18),
          { name: 'meta', repetition_type: 'OPTIONAL', num_children: 2 },
          timestamp('seen', 'NANOS', false),
          { name: 'ratio', type: 'FLOAT', repetition_type: 'OPTIONAL' },
        ] as never,
      }),
    );

  it('reads each typed value as its exact text: decimals from their unscaled integers, timestamps with every digit (no Z when local), floats shortest', async () => {
    const out = await readFileRows(typedFile(), { format: 'parquet' });
    expect(out.rows).toEqual([
      {
        d32: '3.0',
        d64: '12345678901234567.89',
        dfix: '-1234567890123456789012345.67890',
        dvar: '-1.000',
        raw: 'Zoë',
        ms: '2026-01-01T00:00:00.123Z',
        us: '2026-01-01T00:00:00.123456Z',
        ns: '2026-01-01T00:00:00.123456789Z',
        local_us: '2026-01-01T00:00:00.123456',
        day: '2026-01-01',
        f32: '0.1',
        f64: '0.1',
        f16: '0.1',
        doc: '{"n":1}',
        doc2: '{"n":12345678901234567890}',
        prices: '[0.01,2.50]',
        meta: '{"seen":"2026-01-01T00:00:00.123456789","ratio":0.1}',
      },
      {
        d32: '-5.0',
        d64: '-0.01',
        dfix: '0.00005',
        dvar: '987654321987654321987654.321',
        raw: '',
        ms: '1969-12-31T23:59:59.999Z',
        us: '1969-12-31T23:59:59.999999Z',
        ns: '1969-12-31T23:59:59.999999999Z',
        local_us: '1970-01-01T00:00:00.000000',
        day: '1969-12-31',
        f32: '1.3',
        f64: '0.3333333333333333',
        f16: '0.3333',
        doc: null,
        doc2: null,
        prices: '[]',
        meta: '{"seen":null,"ratio":2.5}',
      },
      {
        d32: null,
        d64: '12.50',
        dfix: '0.00000',
        dvar: '0.000',
        raw: null,
        ms: null,
        us: '1970-01-01T00:00:00.000000Z',
        ns: '1970-01-01T00:00:00.000000000Z',
        local_us: null,
        day: '1970-01-01',
        f32: '3.4028235e+38',
        f64: '5e-324',
        f16: '-2.5',
        doc: 'x',
        doc2: 'x',
        prices: null,
        meta: null,
      },
    ]);
  });

  it("maps a local timestamp in the import's time zone and a UTC one as it is, keeping microseconds", async () => {
    const out = await readFileRows(typedFile(), { format: 'parquet' });
    const row = out.rows[0]!;
    expect(toJson(row.local_us!, 'timestamp', undefined, 'Europe/Berlin')).toEqual({
      ok: true,
      json: '"2025-12-31T23:00:00.123456Z"',
    });
    expect(toJson(row.us!, 'timestamp', undefined, 'Europe/Berlin')).toEqual({
      ok: true,
      json: '"2026-01-01T00:00:00.123456Z"',
    });
    expect(toJson(row.d64!, 'number', undefined, 'UTC')).toEqual({ ok: true, json: '12345678901234567.89' });
  });
});

describe('the file source in the import spec', () => {
  const base = {
    id: 'f',
    name: 'f',
    dataType: 'profile',
    cursor: { column: '_line', key: '_source' },
    mapping: { userId: { column: 'email' } },
  };
  it('fills format defaults and names each bad field', () => {
    const spec = parseImportSpec({ ...base, source: { connection: 'drop', file: { path: 'a/b.csv', format: 'csv' } } });
    expect(spec.source.file).toEqual({
      path: 'a/b.csv',
      format: 'csv',
      delimiter: ',',
      quote: '"',
      header: true,
      encoding: 'utf-8',
      limits: { maxBytes: 10 * 1024 ** 3, maxColumns: 1000 },
    });
    const bad = () =>
      parseImportSpec({
        ...base,
        source: {
          connection: 'drop',
          file: { path: '../etc/passwd', format: 'xml', delimiter: 'newline', encoding: 'ebcdic' },
        },
      });
    expect(bad).toThrow(/source\.file\.path: must stay inside the connection \(no \.\. segments\)/);
    expect(bad).toThrow(
      /source\.file\.delimiter: must be one character \(not a newline\) or one of comma, tab, semicolon, pipe/,
    );
    expect(bad).toThrow(/source\.file\.encoding: /);
    expect(() =>
      parseImportSpec({ ...base, source: { connection: 'drop', file: { path: 'x.xml', format: 'xml' } } }),
    ).toThrow('source.file.recordPath: XML files need recordPath');
  });
});
