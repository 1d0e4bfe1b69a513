/** Conformance target: the MySQL connector on a real MariaDB server. */
import { createMysqlConnector } from '../../connectors/mysql/mysqlSource';
import { operatorPolicyFromEnv } from '../../connectors/common/operatorPolicy';
import { isExplorable, type SourceExplorer, type SourceSession } from '../../connectors/source';
import { startMariaDb } from '../helpers/mariadb';
import { freePort } from '../helpers/servers';
import type { Kind, TargetSetup, Value } from './target';
import { reachingLoopback } from '../helpers/testPolicy';

const TYPES: Record<Kind, string> = {
  id: 'BIGINT',
  int: 'BIGINT',
  text: 'VARCHAR(255)',
  ts: 'TIMESTAMP(6) NULL',
  decimal: 'DECIMAL(30,4)',
  array: 'JSON',
};

const str = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
function literal(kind: Kind, v: Value): string {
  if (v === null) return 'NULL';
  if (kind === 'ts') return str(v.replace('T', ' ').replace(/Z$/, '')); // the loading session is in UTC
  if (kind === 'text' || kind === 'array') return str(v);
  return v;
}

const explorable = (s: SourceSession): SourceSession & SourceExplorer => {
  if (!isExplorable(s)) throw new Error('mysql session does not implement SourceExplorer');
  return s;
};

export const mysqlTarget: TargetSetup = {
  name: 'mysql (MariaDB)',
  async start() {
    const db = await startMariaDb();
    await db.createDatabase('conf');
    await db.exec(`CREATE USER 'outsider'@'%' IDENTIFIED BY 'secret'`);
    // The suite reads as root (it also creates the function of hiddenWrite): the operator allows it here.
    const connector = createMysqlConnector(
      reachingLoopback({ ...operatorPolicyFromEnv({}), allowSuperuserSources: true }),
    );
    return {
      timestampDigits: 6,
      open: async () => explorable(await connector.open({ kind: 'mysql', url: db.url('conf') })),
      async load(table, columns, rows) {
        await db.exec(`CREATE TABLE conf.${table} (${columns.map((c) => `${c.name} ${TYPES[c.kind]}`).join(', ')})`);
        for (let i = 0; i < rows.length; i += 500) {
          const values = rows
            .slice(i, i + 500)
            .map((r) => `(${r.map((v, j) => literal(columns[j]!.kind, v)).join(', ')})`);
          await db.exec(`SET time_zone = '+00:00'; INSERT INTO conf.${table} VALUES ${values.join(', ')}`);
        }
      },
      loadUnsupported: async (table) => {
        await db.exec(`CREATE TABLE conf.${table} (id BIGINT, payload BLOB)`);
      },
      rowCount: async (table) =>
        Number(((await db.exec(`SELECT COUNT(*) AS n FROM conf.${table}`)) as { n: number }[])[0]!.n),
      async hiddenWrite(table) {
        // A function that writes: the READ ONLY transaction must refuse it.
        await db.exec(`CREATE FUNCTION conf.bump() RETURNS INT MODIFIES SQL DATA
          BEGIN INSERT INTO conf.${table} (id) VALUES (999999); RETURN 1; END`);
        return 'SELECT bump() AS n';
      },
      async openWith(failure) {
        const url =
          failure === 'bad-credentials'
            ? db.url('conf', 'root', 'wrong')
            : failure === 'no-permission'
              ? db.url('conf', 'outsider', 'secret')
              : `mysql://root@127.0.0.1:${await freePort()}/conf`;
        return explorable(await connector.open({ kind: 'mysql', url }));
      },
      async stop() {
        await connector.closeAll();
        await db.stop();
      },
    };
  },
};
