/** The stand-alone API's environment is read strictly: a typo stops the start, naming the variable and value. */
import { describe, expect, it } from 'vitest';
import { apiSettingsFromEnv } from '../../api/apiSettings';

describe('apiSettingsFromEnv', () => {
  it('gives the defaults when nothing (or only blanks) is set', () => {
    const defaults = {
      host: '127.0.0.1',
      port: 8080,
      rateLimit: { max: 600, timeWindow: '1 minute' },
      protectDocs: false,
    };
    expect(apiSettingsFromEnv({})).toEqual(defaults);
    expect(
      apiSettingsFromEnv({ TRIBUTARY_API_PORT: ' ', TRIBUTARY_API_RATE_LIMIT: '', TRIBUTARY_API_HOST: '' }),
    ).toEqual(defaults);
  });

  it('reads valid values; a rate limit of 0 turns the limit off', () => {
    expect(
      apiSettingsFromEnv({
        TRIBUTARY_API_HOST: '0.0.0.0',
        TRIBUTARY_API_PORT: '9000',
        TRIBUTARY_API_RATE_LIMIT: '0',
        TRIBUTARY_API_PROTECT_DOCS: 'yes',
      }),
    ).toEqual({ host: '0.0.0.0', port: 9000, rateLimit: false, protectDocs: true });
    expect(apiSettingsFromEnv({ TRIBUTARY_API_RATE_LIMIT: '50' }).rateLimit).toEqual({
      max: 50,
      timeWindow: '1 minute',
    });
  });

  it.each([
    ['TRIBUTARY_API_RATE_LIMIT', 'lots', 'a whole number from 0 to 1000000'],
    ['TRIBUTARY_API_RATE_LIMIT', '-5', 'a whole number from 0 to 1000000'],
    ['TRIBUTARY_API_PORT', '80a', 'a whole number from 0 to 65535'],
    ['TRIBUTARY_API_PORT', '70000', 'a whole number from 0 to 65535'],
    ['TRIBUTARY_API_PROTECT_DOCS', 'ture', '1 or 0'],
  ])('refuses %s=%s, naming the variable, the value and what it expects', (name, value, expected) => {
    expect(() => apiSettingsFromEnv({ [name]: value })).toThrow(
      `${name}: "${value}" is not valid; expected ${expected}`,
    );
  });
});
