/**
 * The operator policy the shared test harnesses run with (test/helpers/testPolicy.ts): the tests' temp
 * folders and loopback servers, and a superuser source, since every fixture reads the embedded Postgres as
 * its `postgres` superuser. Tests of the policy itself use the default (strict) policy and a role of their own.
 */
import { testPolicy, testPolicyEnv } from './testPolicy';

export const harnessPolicy = testPolicy;

/** The same allowance for a worker process, which reads its policy from the environment. */
export const HARNESS_POLICY_ENV: Record<string, string> = testPolicyEnv();
