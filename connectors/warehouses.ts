/**
 * The warehouse connectors a worker registers besides Postgres, keyed by the kinds connections.ts maps
 * URL schemes to. One place, so worker.ts needs one line to get them all and one to close them.
 */
import type { SourceConnector } from './source';
import { createMysqlConnector } from './mysql/mysqlSource';
import { createClickHouseConnector } from './clickhouse/clickhouseSource';
import { createSnowflakeConnector } from './snowflake/snowflakeSource';
import { createBigQueryConnector } from './bigquery/bigquerySource';

export function createWarehouseConnectors(): { connectors: Record<string, SourceConnector>; closeAll(): Promise<void> } {
  const list = [createMysqlConnector(), createClickHouseConnector(), createSnowflakeConnector(), createBigQueryConnector()];
  return {
    connectors: Object.fromEntries(list.map((c) => [c.kind, c])),
    async closeAll() {
      await Promise.all(list.map((c) => c.closeAll()));
    },
  };
}
