// Lint, and the layering of the source trees (docs/architecture.md) enforced by a rule rather than by goodwill:
//   shared/         imports nothing of ours and no host API (no node:*, no electron)
//   src-main/core/  never imports electron, nor the hosts around it
//   src-renderer/   imports only shared/ (and its own files, svelte), in .ts and .svelte files alike
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'net', 'tls', 'os', 'crypto', 'child_process', 'worker_threads', 'stream', 'util', 'http', 'https'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Components are parsed as Svelte with TypeScript scripts, so that the layering rule below reads their imports.
  ...svelte.configs['flat/base'],
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
    // Undefined names are svelte-check's (TypeScript's) job; ESLint's scope analysis does not know DOM types.
    rules: { 'no-undef': 'off' },
  },
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setImmediate: 'readonly', performance: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: [...nodeBuiltins, 'electron', 'better-sqlite3'], message: 'shared/ is pure TypeScript: no host APIs.' },
          { group: ['**/src-main/**', '**/src-renderer/**'], message: 'shared/ imports nothing of ours outside shared/.' },
        ],
      }],
    },
  },
  {
    files: ['src-main/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['electron', 'electron/*'], message: 'The core runs in plain Node: it never imports electron.' },
          { group: ['**/src-renderer/**', '**/cli/**', '**/electron/**', '**/web/**'], message: 'The core does not import the hosts around it.' },
        ],
      }],
    },
  },
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.svelte'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: [...nodeBuiltins, 'electron', 'better-sqlite3'], message: 'The renderer talks to the core only through the API client.' },
          { group: ['**/src-main/**'], message: 'The renderer imports only shared/.' },
        ],
      }],
    },
  },
);
