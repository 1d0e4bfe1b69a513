// The hooks registered by hide.mjs (they run off the main thread, so they are a module of their own).
let hidden = [];

export function initialize(data) {
  hidden = data;
}

export async function resolve(specifier, context, nextResolve) {
  const name = hidden.find((p) => specifier === p || specifier.startsWith(`${p}/`));
  if (name) {
    const err = new Error(`Cannot find package '${name}' imported from ${context.parentURL}`);
    err.code = 'ERR_MODULE_NOT_FOUND';
    throw err;
  }
  return nextResolve(specifier, context);
}
