// ESLint flat config: typescript-eslint's recommended rules, type-aware for the few rules that need it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NO_DATE_NOW = { object: 'Date', property: 'now', message: 'read the time from the injected Clock (src/domain/clock.ts)' };
const NO_NEW_DATE = { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'read the time from the injected Clock (src/domain/clock.ts): dateNow(clock)' };
const NO_PROCESS_ENV = { object: 'process', property: 'env', message: 'only src/config/ reads the environment: take the parsed configuration instead' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'reports/**', 'bench/results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      eqeqeq: ['error', 'smart'],
    },
  },
  // One clock (src/domain/clock.ts), injected from the composition root: nothing else in src/ reads the time.
  // One reader of the environment (src/config/): everything else gets parsed, typed configuration.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/domain/clock.ts', 'src/config/**'],
    rules: { 'no-restricted-properties': ['error', NO_DATE_NOW, NO_PROCESS_ENV], 'no-restricted-syntax': ['error', NO_NEW_DATE] },
  },
  { files: ['src/config/**/*.ts'], rules: { 'no-restricted-properties': ['error', NO_DATE_NOW], 'no-restricted-syntax': ['error', NO_NEW_DATE] } },
  { files: ['src/domain/clock.ts'], rules: { 'no-restricted-properties': ['error', NO_PROCESS_ENV] } },
  {
    files: ['eslint.config.js', 'vitest*.config.ts', '.dependency-cruiser.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // dependency-cruiser's configuration (the layer check of `npm run lint`) is CommonJS.
    files: ['.dependency-cruiser.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable' } },
  },
);
