/** Everything this process prints from `start()` on (the in-process worker's and the SDK's logs included). */
export function captureOutput(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const restore: (() => void)[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: any, ...rest: any[]) => {
      lines.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => {
      stream.write = write;
    });
  }
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[level];
    console[level] = (...args: unknown[]) => {
      lines.push(
        args
          .map((a) => (typeof a === 'string' ? a : a instanceof Error ? `${a.message}\n${a.stack}` : safeJson(a)))
          .join(' '),
      );
      original(...args);
    };
    restore.push(() => {
      console[level] = original;
    });
  }
  return { lines, restore: () => restore.forEach((r) => r()) };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) =>
      x instanceof Error ? { ...x, message: x.message, stack: x.stack } : x,
    );
  } catch {
    return String(v);
  }
}
