/**
 * The operator policy the shared test harnesses run with: the environment's, except that a superuser
 * source is allowed, since every fixture reads the embedded Postgres as its `postgres` superuser. Tests of
 * the policy itself use the default (strict) policy and a role of their own.
 */
import { operatorPolicyFromEnv, type OperatorPolicy } from '../../connectors/common/operatorPolicy';

export const harnessPolicy = (): OperatorPolicy => ({ ...operatorPolicyFromEnv(), allowSuperuserSources: true });

/** The same allowance for a worker process, which reads its policy from the environment. */
export const HARNESS_POLICY_ENV: Record<string, string> = { TRIBUTARY_ALLOW_SUPERUSER_SOURCES: '1' };
