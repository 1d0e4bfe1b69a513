/**
 * The operator's settings are read one way: unset or blank takes the default, a valid value is used, and
 * anything else stops the process with an error naming the variable and the value (never a quiet default).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_UNKNOWN_ERROR_ATTEMPTS, operatorPolicyFromEnv } from '../../connectors/common/operatorPolicy';

describe('operatorPolicyFromEnv', () => {
  it('takes the defaults when nothing (or blank) is set', () => {
    for (const env of [
      {},
      {
        TRIBUTARY_UNKNOWN_ERROR_ATTEMPTS: '',
        TRIBUTARY_SOURCE_STATEMENT_TIMEOUT_SECONDS: '  ',
        TRIBUTARY_ALLOW_SUPERUSER_SOURCES: '',
      },
    ]) {
      const p = operatorPolicyFromEnv({ TRIBUTARY_DATA_DIR: '/srv/trb', ...env });
      expect(p).toMatchObject({
        fileRoots: ['/srv/trb/drop'],
        allowPrivateHosts: [],
        sourceStatementTimeoutSeconds: 1800,
        allowSuperuserSources: false,
        unknownErrorAttempts: DEFAULT_UNKNOWN_ERROR_ATTEMPTS,
      });
    }
  });

  it('reads valid values', () => {
    const p = operatorPolicyFromEnv({
      TRIBUTARY_FILE_ROOTS: '/a:/b/c',
      TRIBUTARY_ALLOW_PRIVATE_HOSTS: '10.0.0.0/8, 192.168.1.5,::1/128',
      TRIBUTARY_SOURCE_STATEMENT_TIMEOUT_SECONDS: '60',
      TRIBUTARY_ALLOW_SUPERUSER_SOURCES: '1',
      TRIBUTARY_UNKNOWN_ERROR_ATTEMPTS: '3',
    });
    expect(p).toMatchObject({
      fileRoots: [path.resolve('/a'), path.resolve('/b/c')],
      allowPrivateHosts: ['10.0.0.0/8', '192.168.1.5', '::1/128'],
      sourceStatementTimeoutSeconds: 60,
      allowSuperuserSources: true,
      unknownErrorAttempts: 3,
    });
    expect(operatorPolicyFromEnv({ TRIBUTARY_ALLOW_SUPERUSER_SOURCES: '0' }).allowSuperuserSources).toBe(false);
    expect(operatorPolicyFromEnv({ TRIBUTARY_ALLOW_PRIVATE_HOSTS: '*' }).allowPrivateHosts).toEqual(['*']);
  });

  const invalid: [string, string][] = [
    ['TRIBUTARY_UNKNOWN_ERROR_ATTEMPTS', 'abc'],
    ['TRIBUTARY_UNKNOWN_ERROR_ATTEMPTS', '0'],
    ['TRIBUTARY_UNKNOWN_ERROR_ATTEMPTS', '2.5'],
    ['TRIBUTARY_UNKNOWN_ERROR_ATTEMPTS', '-3'],
    ['TRIBUTARY_UNKNOWN_ERROR_ATTEMPTS', '1e2'],
    ['TRIBUTARY_UNKNOWN_ERROR_ATTEMPTS', '0x10'],
    ['TRIBUTARY_UNKNOWN_ERROR_ATTEMPTS', '100000'],
    ['TRIBUTARY_SOURCE_STATEMENT_TIMEOUT_SECONDS', 'ten'],
    ['TRIBUTARY_SOURCE_STATEMENT_TIMEOUT_SECONDS', '0'],
    ['TRIBUTARY_SOURCE_STATEMENT_TIMEOUT_SECONDS', '99999999'],
    ['TRIBUTARY_ALLOW_SUPERUSER_SOURCES', 'please'],
    ['TRIBUTARY_ALLOW_SUPERUSER_SOURCES', '2'],
    ['TRIBUTARY_ALLOW_PRIVATE_HOSTS', 'localhost'],
    ['TRIBUTARY_ALLOW_PRIVATE_HOSTS', '10.0.0.0/33'],
    ['TRIBUTARY_ALLOW_PRIVATE_HOSTS', '10.0.0.0/8/1'],
    ['TRIBUTARY_ALLOW_PRIVATE_HOSTS', '10.0.0.0/'],
  ];
  it.each(invalid)('refuses %s=%s at start, naming the variable and the value', (name, value) => {
    const read = () => operatorPolicyFromEnv({ [name]: value });
    expect(read).toThrow(name);
    expect(read).toThrow(`"${value}" is not valid`);
  });

  it('names the one bad entry of a list', () => {
    expect(() => operatorPolicyFromEnv({ TRIBUTARY_ALLOW_PRIVATE_HOSTS: '10.0.0.0/8,not-an-ip' })).toThrow(
      'TRIBUTARY_ALLOW_PRIVATE_HOSTS: "not-an-ip" is not valid; expected an IP address or CIDR',
    );
  });
});
