// ESLint 9 flat config: TypeScript everywhere, the editor scripts inside nodes/*.html, and the
// import rules that keep the layers apart (docs/ARCHITECTURE.md "Layers").
import js from '@eslint/js';
import html from 'eslint-plugin-html';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/* Import specifiers as written: a relative path into another layer names its folder. */

/** Node-RED and its express apps: only lib/node-red/ (and the node files) may import them. */
const NODE_RED = [
  { regex: '^(node-red|express)$', message: 'Only lib/node-red/ and nodes/ may use Node-RED or express.' },
  { regex: '^@node-red/', message: 'Only lib/node-red/ and nodes/ may use Node-RED.' },
];
const GLUE = {
  regex: '^\\.\\.?/(.*/)?node-red(/|$)',
  message: 'lib/node-red/ is the Node-RED glue: the layers below it must not import it.',
};
const FPTR = {
  regex: '^\\.\\.?/(.*/)?fptr(/|$)',
  message: 'lib/util/ knows nothing of FPTR: it must not import lib/fptr/.',
};
const NODES = {
  regex: '^\\.\\.?/(.*/)?nodes(/|$)',
  message: 'The simulator is its own program: it must not import the node files.',
};
const layer = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

/** Layer rules by folder; exported for the test that proves they fire (test/unit/lint/layers.spec.ts). */
export const LAYERS = [
  { files: ['lib/fptr/**/*.ts'], rules: layer(...NODE_RED, GLUE) },
  { files: ['lib/state/**/*.ts'], rules: layer(...NODE_RED, GLUE) },
  { files: ['lib/util/**/*.ts'], rules: layer(...NODE_RED, GLUE, FPTR) },
  { files: ['lib/editor/**/*.ts'], rules: layer(...NODE_RED, GLUE) },
  { files: ['sim/**/*.ts'], rules: layer(...NODE_RED, GLUE, NODES) },
];

export default tseslint.config(
  { ignores: ['dist/', 'resources/', 'node_modules/', '.ci/', '.fptr-demo/', 'test-results/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Type-aware checks worth their cost: a promise nobody handles ends the process or loses an error.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // `import x = require('x')` is how this CommonJS package imports CommonJS modules.
      '@typescript-eslint/no-require-imports': 'off',
      // Node-RED's own idiom in a node's constructor: `const node = this`.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
    },
  },
  ...LAYERS,
  {
    files: ['scripts/**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    // The editor scripts: plain browser JavaScript run by the Node-RED editor.
    files: ['nodes/*.html'],
    plugins: { html },
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: 'script',
      globals: { ...globals.browser, ...globals.jquery, RED: 'readonly', FptrEditor: 'readonly' },
    },
  },
);
