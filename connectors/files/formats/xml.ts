/**
 * XML flattened to columns. A record is each element at `recordPath` (e.g. `orders/order`, from the
 * root). Its attributes and descendants become columns named by their path below the record, joined
 * with _: `<order id="7"><customer><email>…` gives `id` and `customer_email`; an attribute of a
 * descendant is `<path>_<attribute>`. An element that repeats gives a JSON array of its texts.
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
  /** Set inside a record: the depth of its element, its values and the text being gathered. */
  private rec: { depth: number; line: number; values: Map<string, string[]> } | null = null;
  private text = '';
  private ordinal = 0;
  private out: XmlRecord[] = [];
  private failure: Error | null = null;

  constructor(recordPath: string) {
    this.target = recordPath.split('/');
    const p = this.parser;
    p.on('error', (err) => { this.failure ??= err; });
    p.on('opentag', (tag) => {
      this.stack.push(tag.name);
      if (!this.rec && this.atTarget()) {
        this.rec = { depth: this.stack.length, line: p.line, values: new Map() };
        for (const [k, v] of Object.entries(tag.attributes)) add(this.rec.values, k, String(v));
      } else if (this.rec) {
        const rel = this.relative();
        for (const [k, v] of Object.entries(tag.attributes)) add(this.rec.values, `${rel}_${k}`, String(v));
      }
      this.text = '';
    });
    p.on('text', (t) => { if (this.rec) this.text += t; });
    p.on('cdata', (t) => { if (this.rec) this.text += t; });
    p.on('closetag', () => {
      const rec = this.rec;
      if (rec) {
        if (this.stack.length === rec.depth) {
          this.ordinal++;
          const values = new Map<string, string | null>();
          for (const [k, list] of rec.values) values.set(k, list.length === 1 ? list[0]! : JSON.stringify(list));
          this.out.push({ values, line: rec.line, ordinal: this.ordinal, error: null });
          this.rec = null;
        } else {
          const t = this.text.trim();
          if (t !== '') add(rec.values, this.relative(), t);
        }
      }
      this.text = '';
      this.stack.pop();
    });
  }

  private atTarget(): boolean {
    return this.stack.length === this.target.length && this.stack.every((n, i) => n === this.target[i] || localName(n) === this.target[i]);
  }

  /** The current element's path below the record, joined with _. */
  private relative(): string {
    return this.stack.slice(this.rec!.depth).map(localName).join('_');
  }

  push(text: string, out: XmlRecord[]): void {
    this.out = out;
    this.parser.write(text);
    if (this.failure) throw new Error(`XML is not well-formed: ${this.failure.message}`);
  }

  end(out: XmlRecord[]): void {
    this.out = out;
    this.parser.close();
    if (this.failure) throw new Error(`XML is not well-formed: ${this.failure.message}`);
  }
}

const localName = (n: string): string => n.slice(n.indexOf(':') + 1);

function add(values: Map<string, string[]>, key: string, v: string): void {
  const list = values.get(key);
  if (list) list.push(v);
  else values.set(key, [v]);
}
