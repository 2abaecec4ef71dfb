import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Boundaries of the layout (README, "Layout"), held here rather than by memory. Each block says
// who may import what; the message says where the code belongs instead. A later block's rule
// replaces an earlier one's for the files both match: narrower blocks come later and repeat
// what they inherit.
const CLIENT_LIBRARIES = ['kafkajs', 'pg', '@aws-sdk/*', '@zilliz/*', '@kubernetes/*', '@temporalio/*'];
const restrict = (patterns) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { patterns }],
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'reports/**', 'coverage/**', 'scratch/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Activities are the worker's side of the engine; the command line sits above them.
    files: ['activities/**/*.ts', 'worker/**/*.ts', 'src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      ...restrict([
        {
          group: ['**/src/cli/**', '**/cli/**', '../cli/*'],
          message: 'the library and the worker never import the command line: move what is shared into src/',
        },
      ]),
      // The same for a deferred import(), which the rule above does not see.
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportExpression[source.value=/(^|\\/)cli\\//]',
          message: 'the library and the worker never import the command line: move what is shared into src/',
        },
      ],
    },
  },
  {
    // A drill reads like a runbook: it names drivers (src/systems/<system>) and speaks the drill
    // contract (src/drill); it contains no client, no file access, no engine, no concrete platform.
    files: ['drills/**/*.ts'],
    rules: restrict([
      {
        group: ['node:*'],
        message: 'a drill touches no files or sockets itself: put it in src/systems/<system>/',
      },
      {
        group: CLIENT_LIBRARIES,
        message: "a drill holds no client: use (or add) the system's room in src/systems/<system>/",
      },
      {
        group: [
          '**/src/engine/**',
          '**/src/platform/*/**',
          '**/src/cli/**',
          '**/src/results/**',
          '**/src/report/**',
          '**/src/metrics/**',
          '**/activities/**',
          '**/workflows/**',
          '**/worker/**',
        ],
        message:
          'a drill sees the engine through DrillEnv (src/drill/definition.ts) and the platform through its contract (src/platform/platform.ts)',
      },
    ]),
  },
  {
    // The pure core: measurement, reports and the topology model compute from data they are given.
    files: [
      'src/measure/**/*.ts',
      'src/report/**/*.ts',
      'src/topology/model.ts',
      'src/topology/duration.ts',
      'src/topology/parse.ts',
    ],
    ignores: ['src/report/assets.ts'],
    rules: restrict([
      {
        group: ['node:*'],
        message: 'the pure core reads no files and opens no sockets: take the data as an argument',
      },
      {
        group: [
          ...CLIENT_LIBRARIES,
          '**/platform/**',
          '**/systems/**',
          '**/engine/**',
          '**/results/**',
          '**/cli/**',
        ],
        message: 'the pure core imports no driver: the caller brings what a driver found',
      },
    ]),
  },
  {
    // Workflow code is replayed deterministically in Temporal's sandbox: only the workflow API and
    // its own folder as values; everything else as types.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!@temporalio/workflow$|\\./)',
              allowTypeImports: true,
              message:
                'workflows value-import only @temporalio/workflow and ./ (use `import type` for the rest)',
            },
          ],
        },
      ],
    },
  },
  // The HTML report's chart script runs in the browser as a classic script, after uPlot's. Its
  // globals are named here (the `globals` package is not a dependency of this project).
  {
    files: ['src/report/assets/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        window: 'readonly',
        document: 'readonly',
        location: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        uPlot: 'readonly',
      },
    },
  },
);
