/** ESLint rules for every package of the workspace. */
module.exports = {
  root: true,
  parser: '@typescript-eslint/parser',
  parserOptions: { ecmaVersion: 2022, sourceType: 'module' },
  plugins: ['@typescript-eslint'],
  extends: ['eslint:recommended', 'plugin:@typescript-eslint/recommended', 'prettier'],
  env: { node: true, es2022: true },
  rules: {
    '@typescript-eslint/no-unused-vars': [
      'error',
      { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
    ],
    '@typescript-eslint/no-explicit-any': 'error',
    eqeqeq: ['error', 'always'],
    'no-var': 'error',
    'prefer-const': 'error',
    'no-console': 'off',
  },
  overrides: [
    {
      files: ['*.js', '*.cjs'],
      parserOptions: { sourceType: 'script' },
      rules: {
        '@typescript-eslint/no-var-requires': 'off',
        '@typescript-eslint/no-require-imports': 'off',
      },
    },
    {
      files: ['apps/web/**/*.ts', 'apps/web/**/*.tsx'],
      plugins: ['@next/next', 'react-hooks'],
      extends: ['plugin:@next/next/recommended', 'plugin:react-hooks/recommended'],
      env: { browser: true },
      settings: { next: { rootDir: 'apps/web/' } },
    },
    {
      files: ['**/*.spec.ts', '**/*.int-spec.ts'],
      excludedFiles: ['e2e/**'],
      env: { jest: true },
    },
  ],
};
