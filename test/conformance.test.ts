/** The connector conformance suite over every connector that can run on this machine (see conformance/suite.ts). */
import { conformance } from './conformance/suite';
import { postgresTarget } from './conformance/postgresTarget';
import { mysqlTarget } from './conformance/mysqlTarget';
import { clickhouseTarget } from './conformance/clickhouseTarget';
import { snowflakeTarget } from './conformance/snowflakeTarget';
import { bigqueryTarget } from './conformance/bigqueryTarget';

for (const target of [postgresTarget, mysqlTarget, clickhouseTarget, snowflakeTarget, bigqueryTarget])
  conformance(target);
