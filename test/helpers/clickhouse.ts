/**
 * A real ClickHouse server for one test file (Debian's clickhouse-server, 18.16 on this machine): its own
 * config, data directory and free ports on loopback, stopped and deleted afterwards. Users: `default`
 * (no password, may write), `reader` (password `secret`, read-only profile) and `outsider` (password
 * `secret`, no access to the default database) for the permission tests.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { findBinary, freePort, spawnServer, stopProcess, tempDir, waitForPort } from './servers';

export interface ClickHouse {
  httpPort: number;
  /** A connection URL for `database` (default user unless given). */
  url(database?: string, user?: string, password?: string): string;
  /** Run one statement as the default user. */
  exec(sql: string): Promise<void>;
  /** Insert rows (objects) with JSONEachRow. */
  insert(table: string, rows: Record<string, unknown>[]): Promise<void>;
  stop(): Promise<void>;
}

const usersXml = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default><readonly><readonly>1</readonly></readonly></profiles>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default>
    <reader><password>secret</password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>readonly</profile><quota>default</quota></reader>
    <outsider><password>secret</password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota>
      <allow_databases><database>system</database></allow_databases></outsider>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows>
    <read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;

export async function startClickHouse(): Promise<ClickHouse> {
  const bin = findBinary(['clickhouse-server'], 'clickhouse-server');
  const dir = tempDir('clickhouse');
  const [httpPort, tcpPort] = [await freePort(), await freePort()];
  const configXml = `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/error.log</errorlog></logger>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <timezone>UTC</timezone>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
</yandex>
`;
  writeFileSync(path.join(dir, 'config.xml'), configXml);
  writeFileSync(path.join(dir, 'users.xml'), usersXml);
  const { child, log } = spawnServer(bin, [`--config-file=${path.join(dir, 'config.xml')}`], dir);
  try {
    await waitForPort(httpPort, child, 'clickhouse-server', log);
  } catch (err) {
    await stopProcess(child);
    throw err;
  }
  const admin = createClient({ url: `http://127.0.0.1:${httpPort}`, log: { level: ClickHouseLogLevel.OFF } });
  return {
    httpPort,
    url: (database = 'default', user = 'default', password = '') =>
      `clickhouse://${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ''}@127.0.0.1:${httpPort}/${database}`,
    exec: async (sql) => {
      await admin.command({ query: sql });
    },
    insert: async (table, rows) => {
      await admin.insert({ table, values: rows, format: 'JSONEachRow' });
    },
    async stop() {
      await admin.close();
      await stopProcess(child, 20_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
