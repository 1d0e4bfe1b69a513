/**
 * What the tests' sources may reach: their temp folders (data and key files alike) (under the OS temp folder), the servers they
 * start on loopback, and the embedded Postgres as its superuser. The operator's default (no private hosts, the data folder's drop folder only) would
 * refuse both; test/security checks that default on its own.
 */
import os from 'node:os';
import { type OperatorPolicy, operatorPolicyFromEnv } from '../../connectors/common/operatorPolicy';

export const TEST_FILE_ROOTS = [os.tmpdir()];
export const TEST_PRIVATE_HOSTS = ['127.0.0.1/32', '::1/128'];

export const testPolicy = (): OperatorPolicy => ({
  ...operatorPolicyFromEnv(),
  fileRoots: TEST_FILE_ROOTS,
  keyFileRoots: TEST_FILE_ROOTS,
  allowPrivateHosts: TEST_PRIVATE_HOSTS,
  allowSuperuserSources: true,
});

/** `policy` whose sources may also reach the tests' servers on loopback (and nothing else private). */
export const reachingLoopback = (policy: OperatorPolicy): OperatorPolicy => ({
  ...policy,
  allowPrivateHosts: TEST_PRIVATE_HOSTS,
});

/** The same, as the environment of a worker process. */
export const testPolicyEnv = (): Record<string, string> => ({
  TRIBUTARY_FILE_ROOTS: TEST_FILE_ROOTS.join(':'),
  TRIBUTARY_KEY_FILE_ROOTS: TEST_FILE_ROOTS.join(':'),
  TRIBUTARY_ALLOW_PRIVATE_HOSTS: TEST_PRIVATE_HOSTS.join(','),
  TRIBUTARY_ALLOW_SUPERUSER_SOURCES: '1',
});
