import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', '.cache/**', 'scripts/ferretdb/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
      // Prettier wraps code at 160 columns; this catches what it cannot wrap (comments). Strings and URLs may run on.
      'max-len': ['error', { code: 160, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
    },
  },
  {
    // The sandboxes' workers and their shared helper: CommonJS text evaluated by `new Worker(text, {eval: true})`.
    files: ['src-main/engine/definitions/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The preludes run in the definition's vm context, which has no require: scripts/sandbox-text.mjs inlines the one they make.
    files: ['src-main/engine/definitions/*-prelude.js'],
    languageOptions: { globals: { require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // Layers (README, Architecture): renderer -> shared only; shared -> nothing of ours; stores never import the
  // engine, the hosts or the reference system; the engine never imports the hosts, nor the reference system
  // except the Local workspace (which runs the demo on it); hosts import the engine, not the reverse.
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/src-main/**', 'electron', 'pg', 'mongodb', 'kafkajs', 'node:*'], message: 'The renderer imports src-shared only; it reaches the main process through the operation contract.' }] }] },
  },
  {
    files: ['src-shared/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/src-main/**', '**/src-renderer/**'], message: 'src-shared is the contract: it imports nothing of the main process or the renderer.' }] }] },
  },
  {
    files: ['src-main/stores/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/engine/**', '**/transport/**', '**/electron/**', '**/reference/**'], message: 'Stores are the lowest layer of the main process: they import src-shared and each other only.' }] }] },
  },
  {
    files: ['src-main/engine/**/*.ts'],
    ignores: ['src-main/engine/local-workspace/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/transport/**', '**/electron/**', '**/reference/**'], message: 'The engine imports stores and src-shared; hosts import it, and only the Local workspace runs the reference system.' }] }] },
  },
  {
    // The Local workspace runs the reference system (and gives rebuilds its read models); it is still the engine.
    files: ['src-main/engine/local-workspace/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/transport/**', '**/electron/**'], message: 'Hosts import the engine, not the reverse.' }] }] },
  },
  {
    files: ['src-main/transport/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/electron/**', '**/reference/**'], message: 'The browser host imports the engine only.' }] }] },
  },
);
