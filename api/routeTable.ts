/**
 * The methods each route path answers, so a request for a path the API has with a method it lacks is a
 * 405 with an Allow header (RFC 9110), and only a path it does not have at all is a 404.
 */
export class RouteTable {
  private readonly routes = new Map<string, { pattern: RegExp; methods: Set<string> }>();

  add(url: string, method: string | string[]): void {
    let entry = this.routes.get(url);
    if (!entry) {
      entry = { pattern: patternOf(url), methods: new Set() };
      this.routes.set(url, entry);
    }
    for (const m of [method].flat()) entry.methods.add(m.toUpperCase());
    // Fastify answers HEAD wherever it answers GET.
    if (entry.methods.has('GET')) entry.methods.add('HEAD');
  }

  /** The methods some route answers on `path` (no query string), sorted; empty when no route has it. */
  allowed(path: string): string[] {
    const out = new Set<string>();
    for (const { pattern, methods } of this.routes.values()) {
      if (pattern.test(path)) for (const m of methods) out.add(m);
    }
    return [...out].sort();
  }
}

/** A Fastify route path as a regular expression: `:name` is one non-empty segment, `*` the rest. */
function patternOf(url: string): RegExp {
  const source = url
    .split(/(:[A-Za-z0-9_]+|\*)/)
    .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}
