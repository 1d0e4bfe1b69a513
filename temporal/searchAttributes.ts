/**
 * The project's search attributes, declared once: registered on the server at start (the dev server's
 * flags, `npm run setup`, the plugin), upserted by the workflows, queried by the client and the API. The
 * README and docker-compose.yml, which cannot import this, are checked against it by a unit test.
 */
import { defineSearchAttributeKey, type SearchAttributeType } from '@temporalio/common';

export const SEARCH_ATTRIBUTES = {
  importId: defineSearchAttributeKey('TributaryImportId', 'KEYWORD'),
  dataType: defineSearchAttributeKey('TributaryDataType', 'KEYWORD'),
  sourceKind: defineSearchAttributeKey('TributarySourceKind', 'KEYWORD'),
  outcome: defineSearchAttributeKey('TributaryOutcome', 'KEYWORD'),
  /** Set on a backfill and on each of its partitions. */
  backfillId: defineSearchAttributeKey('TributaryBackfillId', 'KEYWORD'),
} as const;

/** Every declared attribute, in declaration order. */
export const SEARCH_ATTRIBUTE_KEYS = Object.values(SEARCH_ATTRIBUTES);

export const SEARCH_ATTRIBUTE_NAMES: readonly string[] = SEARCH_ATTRIBUTE_KEYS.map((k) => k.name);

/** A type as the Temporal CLI spells it (`--type Keyword`, `--search-attribute Name=Keyword`). */
const CLI_TYPES: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

export const cliSearchAttributeType = (type: SearchAttributeType): string => CLI_TYPES[type];

/** `--search-attribute Name=Keyword` arguments for `temporal server start-dev`. */
export const devServerSearchAttributeArgs = (): string[] =>
  SEARCH_ATTRIBUTE_KEYS.flatMap((k) => ['--search-attribute', `${k.name}=${cliSearchAttributeType(k.type)}`]);
