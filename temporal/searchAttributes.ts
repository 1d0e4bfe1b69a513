/** The project's search attributes: registered on the server at start, upserted by every import workflow. */
import { defineSearchAttributeKey } from '@temporalio/common';

export const SEARCH_ATTRIBUTES = {
  importId: defineSearchAttributeKey('TributaryImportId', 'KEYWORD'),
  dataType: defineSearchAttributeKey('TributaryDataType', 'KEYWORD'),
  sourceKind: defineSearchAttributeKey('TributarySourceKind', 'KEYWORD'),
  outcome: defineSearchAttributeKey('TributaryOutcome', 'KEYWORD'),
  /** Set on a backfill and on each of its partitions. */
  backfillId: defineSearchAttributeKey('TributaryBackfillId', 'KEYWORD'),
} as const;

/** `--search-attribute Name=Keyword` arguments for `temporal server start-dev`. */
export const devServerSearchAttributeArgs = (): string[] =>
  Object.values(SEARCH_ATTRIBUTES).flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]);
