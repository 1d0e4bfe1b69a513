/**
 * XML flattened to columns. A record is each element at `recordPath` (e.g. `orders/order`, from the
 * root). Its attributes and descendants become columns named by their path below the record, joined
 * with _: `<order id="7"><customer><email>…` gives `id` and `customer_email`; an attribute of a
 * descendant is `<path>_<attribute>`. An element that repeats gives a JSON array of its texts.
 *
 * Text is kept as written (no value is silently changed): not trimmed, CDATA included, entities decoded.
 * An element without child elements gives its text (`<nick> </nick>` is " "); one with no text at all
 * gives no value (NULL). An element with child elements gives a value only when it has text of its
 * own besides whitespace (mixed content): then its whole text content, its children's text included,
 * in document order (`<bio>Hello <b>big</b> world</bio>` gives bio "Hello big world", and bio_b "big").
 * Whitespace-only text between child elements is indentation and is dropped. The record element's own
 * text gives no column. A file that is not well-formed XML fails with the position of the fault only,
 * never its text: any file a connection names must not come back through its errors.
 */
import { SaxesParser } from 'saxes';

export interface XmlRecord {
  values: Map<string, string | null>;
  /** The line the record's start tag is on. */
  line: number;
  /** 1-based ordinal of the record in the file: a resumed read skips this many. */
  ordinal: number;
  error: string | null;
}

export class XmlRecords {
  private readonly parser = new SaxesParser({ position: true });
  private readonly target: string[];
  private readonly stack: string[] = [];
  /** Set inside a record: the depth of its element and its values. */
  private rec: { depth: number; line: number; values: Map<string, string[]> } | null = null;
  /** The open elements of the record (the record's own first), each gathering its text. */
  private readonly open: OpenElement[] = [];
  private ordinal = 0;
  private out: XmlRecord[] = [];
  private failure: Error | null = null;

  constructor(recordPath: string) {
    this.target = recordPath.split('/');
    const p = this.parser;
    // Saxes' messages name the tags and entities it met: only the position is kept (see push).
    p.on('error', () => {
      this.failure ??= new Error(`line ${p.line}, column ${p.column}`);
    });
    p.on('opentag', (tag) => {
      this.stack.push(tag.name);
      if (!this.rec && this.atTarget()) {
        this.rec = { depth: this.stack.length, line: p.line, values: new Map() };
        for (const [k, v] of Object.entries(tag.attributes)) add(this.rec.values, k, String(v));
      } else if (this.rec) {
        const rel = this.relative();
        for (const [k, v] of Object.entries(tag.attributes)) add(this.rec.values, `${rel}_${k}`, String(v));
        this.open.at(-1)!.children = true;
      }
      if (this.rec) this.open.push({ text: '', ownText: false, children: false });
    });
    p.on('text', (t) => this.gather(t, /\S/.test(t)));
    // CDATA is text the writer meant, even blank: never indentation.
    p.on('cdata', (t) => this.gather(t, t !== ''));
    p.on('closetag', () => {
      const rec = this.rec;
      if (rec) {
        const element = this.open.pop()!;
        const parent = this.open.at(-1);
        if (parent) parent.text += element.text;
        if (this.stack.length === rec.depth) {
          this.ordinal++;
          const values = new Map<string, string | null>();
          for (const [k, list] of rec.values) values.set(k, list.length === 1 ? list[0]! : JSON.stringify(list));
          this.out.push({ values, line: rec.line, ordinal: this.ordinal, error: null });
          this.rec = null;
        } else if (element.children ? element.ownText : element.text !== '') {
          add(rec.values, this.relative(), element.text);
        }
      }
      this.stack.pop();
    });
  }

  /** Text inside a record goes to the innermost open element; `meant` says it is more than indentation. */
  private gather(text: string, meant: boolean): void {
    const element = this.open.at(-1);
    if (!element) return;
    element.text += text;
    if (meant) element.ownText = true;
  }

  private atTarget(): boolean {
    return (
      this.stack.length === this.target.length &&
      this.stack.every((n, i) => n === this.target[i] || localName(n) === this.target[i])
    );
  }

  /** The current element's path below the record, joined with _. */
  private relative(): string {
    return this.stack.slice(this.rec!.depth).map(localName).join('_');
  }

  push(text: string, out: XmlRecord[]): void {
    this.out = out;
    this.parser.write(text);
    if (this.failure) throw new Error(`XML is not well-formed (${this.failure.message})`);
  }

  end(out: XmlRecord[]): void {
    this.out = out;
    this.parser.close();
    if (this.failure) throw new Error(`XML is not well-formed (${this.failure.message})`);
  }
}

interface OpenElement {
  /** Its text content so far: its own text and its closed children's. */
  text: string;
  /** Whether it has text of its own beyond whitespace (or CDATA): mixed content, not just indentation. */
  ownText: boolean;
  children: boolean;
}

const localName = (n: string): string => n.slice(n.indexOf(':') + 1);

function add(values: Map<string, string[]>, key: string, v: string): void {
  const list = values.get(key);
  if (list) list.push(v);
  else values.set(key, [v]);
}
