/**
 * The stand-alone API's settings from the environment, read by the operator policy's rules: unset or
 * blank is the default; anything else must be valid, or the process stops at start naming the variable.
 */
import { flagSetting, wholeNumberSetting } from '../connectors/common/operatorPolicy';

export interface ApiSettings {
  host: string;
  port: number;
  /** Requests per key per minute; false: no limit (TRIBUTARY_API_RATE_LIMIT=0). */
  rateLimit: { max: number; timeWindow: string } | false;
  protectDocs: boolean;
}

export function apiSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ApiSettings {
  const host = env.TRIBUTARY_API_HOST?.trim();
  const limit = wholeNumberSetting(env, 'TRIBUTARY_API_RATE_LIMIT', 600, 1_000_000, 0);
  return {
    host: host ? host : '127.0.0.1',
    port: wholeNumberSetting(env, 'TRIBUTARY_API_PORT', 8080, 65_535, 0),
    rateLimit: limit > 0 ? { max: limit, timeWindow: '1 minute' } : false,
    protectDocs: flagSetting(env, 'TRIBUTARY_API_PROTECT_DOCS'),
  };
}
