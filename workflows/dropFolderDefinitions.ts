/** Ids, inputs and the query of the drop-folder workflow, defined once. Deterministic code only. */
import { defineQuery } from '@temporalio/workflow';
import { WORKFLOW_TYPES } from './names';
import type { ImportSpecInput } from '../domain/importSpec';

export const DROP_FOLDER_WORKFLOW_TYPE = WORKFLOW_TYPES.dropFolder;

/** One watcher per import. */
export const dropFolderWorkflowId = (importId: string): string => `drop:${importId}`;

/** The import of one file: a pure function of the import and the file's identity. */
export const fileImportWorkflowId = (importId: string, identity: string): string =>
  `import:${importId}:file:${identity}`;

/** The position stream of one file (its identity: path, size, checksum or ETag). */
export const fileStream = (identity: string): string => `file:${identity}`;

export interface DropFolderInput {
  spec: ImportSpecInput;
  /** Look again every this many seconds; without it, one pass and the workflow ends with its summary. */
  pollSeconds?: number;
  /** Set only by the workflow itself when it continues as new. */
  carry?: DropFolderSummary | null;
}

export interface FileOutcome {
  path: string;
  identity: string;
  status: string;
  runId: number | null;
  rowsRead: number;
  rejected: number;
  error: string | null;
}

export interface DropFolderSummary {
  passes: number;
  imported: FileOutcome[];
  waiting: string[];
  invalid: { path: string; reason: string }[];
  alreadyImported: string[];
}

export const dropFolderQuery = defineQuery<DropFolderSummary>('dropFolder');
