// One linter for the whole tree: typescript-eslint's type-aware rules (floating promises, unsafe
// `any`, misused promises) on every TypeScript file, with the project's own tsconfig.json.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // The federation gateway audit's suites are vendored verbatim (see their README.md).
  { ignores: ['**/node_modules/', '**/dist/', '**/generated/', '.tmp/', '.data/', 'gateway/test/federation-audit/suites/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Apollo's plugin hooks and fastify's handlers are typed to return promises; an `async` hook
      // with nothing to await is their documented form, not a mistake.
      '@typescript-eslint/require-await': 'off',
      // `_name` marks what is taken apart only to be left out.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  { files: ['**/*.mjs', '**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
);
