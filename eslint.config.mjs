// Lint rules that carry weight here:
// - no-floating-promises: forgetting to await an activity or a client call is a silent bug.
// - workflow files may not import Node built-ins or anything that does I/O: the workflow sandbox
//   is deterministic, and the bundler would reject them late (at worker start) anyway.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { defineConfig } from 'eslint/config';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
// The SDK's `lib/` paths are its internals: a minor release may move them (use the package roots).
const sdkInternals = {
  group: ['@temporalio/*/lib', '@temporalio/*/lib/**'],
  message: 'Import from the @temporalio package root; lib/ paths are SDK internals (src/temporal/sdk-helpers.ts has stand-ins).',
};

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', '.data/**', 'test-artifacts/**', 'bench/results/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
      'no-restricted-imports': ['error', { patterns: [sdkInternals] }],
    },
  },
  {
    // Plain CommonJS helpers (the mocha reporter): no type information, Node globals.
    files: ['**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly' },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins.' })),
          patterns: [
            sdkInternals,
            {
              group: ['../connectors/*', '../connectors', '../sandbox/*', '../intake/*', '../config', '../config/*'],
              message: 'Workflows talk to the world only through activities.',
            },
            {
              group: ['../activities/*', '../activities'],
              allowTypeImports: true,
              message: 'Import activities as types only (proxyActivities).',
            },
          ],
        },
      ],
    },
  },
  {
    // Configuration is read once, validated, at the edge (src/config/); nothing else reads the environment.
    files: ['src/**/*.ts'],
    ignores: ['src/config/**', 'src/sandbox/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through src/config/load.ts.' },
      ],
    },
  },
  {
    // Import a thing from the module that defines it: a re-export hides where it lives (issue 23).
    // The workflow bundle's entry is the exception: Temporal registers what it exports.
    files: ['src/**/*.ts'],
    ignores: ['src/workflows/index.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'Import from the module that defines it instead of re-exporting.' },
        { selector: 'ExportNamedDeclaration[source]', message: 'Import from the module that defines it instead of re-exporting.' },
        {
          selector: 'ExportNamedDeclaration[source=null][declaration=null]',
          message: 'Export where it is declared (export const / function / type); import what others define from where they define it.',
        },
      ],
    },
  },
  // The sandbox imports no service code: .dependency-cruiser.cjs (`sandbox-imports-no-service-code`), run by `npm run lint`.
);
