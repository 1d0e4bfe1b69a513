/** Conformance target: the ClickHouse connector on a real clickhouse-server (18.16: DateTime in whole seconds). */
import { createClickHouseConnector } from '../../connectors/clickhouse/clickhouseSource';
import { quoteString } from '../../connectors/clickhouse/clickhouseTypes';
import { isExplorable, type SourceExplorer, type SourceSession } from '../../connectors/source';
import { startClickHouse } from '../helpers/clickhouse';
import { freePort } from '../helpers/servers';
import type { Kind, TargetSetup, Value } from './target';
import { reachingLoopback } from '../helpers/testPolicy';
import { operatorPolicyFromEnv } from '../../connectors/common/operatorPolicy';

const TYPES: Record<Kind, string> = {
  id: 'Nullable(UInt64)',
  int: 'Nullable(Int64)',
  text: 'Nullable(String)',
  ts: 'Nullable(DateTime)',
  decimal: 'Nullable(Decimal128(4))',
  array: 'Array(String)',
};

function literal(kind: Kind, v: Value): string {
  if (v === null) return kind === 'array' ? '[]' : 'NULL';
  // The server's zone is UTC; a decimal is read by the column's own text parser, so every digit stays.
  if (kind === 'ts') return quoteString(v.replace('T', ' ').replace(/\.\d+/, '').replace(/Z$/, ''));
  if (kind === 'array') return `[${(JSON.parse(v) as string[]).map(quoteString).join(',')}]`;
  if (kind === 'text') return quoteString(v);
  return v;
}

const explorable = (s: SourceSession): SourceSession & SourceExplorer => {
  if (!isExplorable(s)) throw new Error('clickhouse session does not implement SourceExplorer');
  return s;
};

export const clickhouseTarget: TargetSetup = {
  name: 'clickhouse',
  async start() {
    const ch = await startClickHouse();
    const connector = createClickHouseConnector(reachingLoopback(operatorPolicyFromEnv()));
    return {
      timestampDigits: 0,
      open: async () => explorable(await connector.open({ kind: 'clickhouse', url: ch.url() })),
      async load(table, columns, rows) {
        await ch.exec(
          `CREATE TABLE ${table} (${columns.map((c) => `${c.name} ${TYPES[c.kind]}`).join(', ')}) ENGINE = Memory`,
        );
        for (let i = 0; i < rows.length; i += 500) {
          const values = rows
            .slice(i, i + 500)
            .map((r) => `(${r.map((v, j) => literal(columns[j]!.kind, v)).join(', ')})`);
          await ch.exec(`INSERT INTO ${table} VALUES ${values.join(', ')}`);
        }
      },
      loadUnsupported: async (table) => {
        await ch.exec(`CREATE TABLE ${table} (id UInt64, state AggregateFunction(uniq, UInt64)) ENGINE = Memory`);
      },
      rowCount: async (table) => {
        const session = explorable(await connector.open({ kind: 'clickhouse', url: ch.url() }));
        return session.count({ table });
      },
      // ClickHouse has no SELECT that writes; the guard and readonly=2 are covered by the other cases.
      hiddenWrite: async () => null,
      async openWith(failure) {
        const url =
          failure === 'bad-credentials'
            ? ch.url('default', 'default', 'wrong')
            : failure === 'no-permission'
              ? ch.url('default', 'outsider', 'secret')
              : `clickhouse://default@127.0.0.1:${await freePort()}/default`;
        return explorable(await connector.open({ kind: 'clickhouse', url }));
      },
      async stop() {
        await connector.closeAll();
        await ch.stop();
      },
    };
  },
};
