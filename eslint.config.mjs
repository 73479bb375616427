import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.local/', 'dist/', 'coverage/', 'openapi.json'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { globals: { module: 'writable', require: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: [
      'sql/cli.ts',
      'functions/jobs/cli.ts',
      'functions/catalogue/cli.ts',
      'functions/jobs/backup/restoreCli.ts',
      'functions/local/**',
      'functions/openapi/cli.ts',
      'scripts/**',
      'bench/**',
      'test/**',
    ],
    rules: { 'no-console': 'off' },
  },
);
