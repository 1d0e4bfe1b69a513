/**
 * What an import workflow shows in the Temporal Web UI and CLI: a one-line static summary (what it imports,
 * from where) and static details in Temporal's markdown (the mapping in short), set when it starts; and the
 * current details the workflow keeps up to date with its progress. Pure functions of the spec, with no
 * Node built-ins, so the workflow sandbox uses them too. Only connection names appear, never a URL or secret.
 */
import { type ImportSpec, mappedColumns } from '../domain/importSpec';

const where = (spec: ImportSpec): string =>
  spec.source.table !== undefined
    ? `${spec.source.connection}.${spec.source.table}`
    : `${spec.source.connection} (custom SQL)`;

export interface UserMetadata {
  staticSummary: string;
  staticDetails: string;
}

/** Summary and details of an import run; `scope` names a backfill partition's range. */
export function importMetadata(spec: ImportSpec, scope?: { label: string; range: string }): UserMetadata {
  const summary = `${scope ? `${scope.label} of ` : ''}${spec.dataType} import "${spec.name}" (${spec.id}) from ${where(spec)}`;
  // One entry per mapped field; list fields (attributes.0, properties.1, …) as one entry of their columns.
  const fields = new Map<string, string[]>();
  for (const m of mappedColumns(spec)) {
    if (m.field.startsWith('cursor.')) continue;
    const field = m.field.replace(/^mapping\./, '').replace(/\.\d+$/, '');
    fields.set(field, [...(fields.get(field) ?? []), m.column]);
  }
  const mapping = [...fields].map(([field, columns]) => `${field} ← ${columns.join(', ')}`);
  const lines = [
    `**Import** ${spec.id}: ${spec.name}`,
    `**Data type** ${spec.dataType}`,
    `**Source** connection \`${spec.source.connection}\`, ${spec.source.table !== undefined ? `table \`${spec.source.table}\`` : 'custom SQL'}`,
    `**Cursor** \`${spec.cursor.column}\`, tie-breaker key \`${spec.cursor.key}\`, lag ${spec.cursor.lag}`,
    `**Batch size** ${spec.batchSize}`,
    `**Mapping** ${mapping.join('; ')}`,
  ];
  if (scope) lines.push(`**Range** ${scope.range}`);
  return { staticSummary: summary.slice(0, 400), staticDetails: lines.join('\n\n') };
}

const n = (v: number): string => Math.round(v).toLocaleString('en-US');

/** Current details of an import run, refreshed after each batch. */
export function importCurrentDetails(p: {
  stage: string;
  paused: boolean;
  rowsRead: number;
  rowsLoaded: number;
  rejected: number;
  batches: number;
  position: string | null;
  upperBound: string | null;
  rowsPerSecond: number | null;
}): string {
  return [
    `**Stage** ${p.paused ? 'paused' : p.stage}`,
    `**Rows** ${n(p.rowsRead)} read, ${n(p.rowsLoaded)} loaded, ${n(p.rejected)} rejected, in ${p.batches} batches`,
    `**Position** ${p.position ?? '(start)'} of upper bound ${p.upperBound ?? '(none)'}`,
    `**Throttle** ${p.rowsPerSecond ? `${n(p.rowsPerSecond)} rows/s` : 'none'}`,
    'Signals: `pause`, `resume`, `throttle` {"rowsPerSecond": N}; query: `progress`',
  ].join('\n\n');
}

/** Current details of a backfill, refreshed as partitions start and end and as rows commit. */
export function backfillCurrentDetails(p: {
  stage: string;
  partitions: number;
  partitionsDone: number;
  partitionsRunning: number[];
  rowsRead: number;
  plannedRows: number;
  rowsPerSecond: number;
  etaSeconds: number | null;
  throttle: { rowsPerSecond: number | null; concurrency: number };
}): string {
  return [
    `**Stage** ${p.stage}`,
    `**Partitions** ${p.partitionsDone} of ${p.partitions} done; running: ${p.partitionsRunning.join(', ') || 'none'}`,
    `**Rows** ${n(p.rowsRead)} of ${n(p.plannedRows)} at ${n(p.rowsPerSecond)} rows/s; time left ${p.etaSeconds === null ? 'unknown' : `${n(p.etaSeconds)} s`}`,
    `**Throttle** ${p.throttle.rowsPerSecond ? `${n(p.throttle.rowsPerSecond)} rows/s` : 'none'}, ${p.throttle.concurrency} partitions at once`,
    'Signals: `pause`, `resume`, `throttle` {"rowsPerSecond": N, "concurrency": K}; update: `setThrottle`; query: `progress`',
  ].join('\n\n');
}
