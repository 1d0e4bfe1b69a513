// Your own activities. This one is called `importBatch`, as one of Tributary's once was: Tributary's
// activities are registered as `tributaryImportBatch`, …, so yours keeps its name.
export async function importBatch(label) {
  return `your importBatch imported ${label}`;
}
