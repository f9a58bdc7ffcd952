import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'media/**', 'dist/**', '.vscode-test/**', 'node_modules/**', '*.vsix'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      curly: ['error', 'multi-line'],
      'no-throw-literal': 'error',
    },
  },
  {
    // The core must stay usable outside VS Code (CLI, benchmarks, unit tests).
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core must not import vscode.' }] }],
    },
  },
  {
    // The UI's model, text and timing modules run (and are unit-tested) under plain Node: types
    // from vscode only. The VS Code layer (tree items, provider, status bar, commands) is separate.
    files: [
      'src/ui/events.ts',
      'src/ui/l10n.ts',
      'src/ui/log.ts',
      'src/ui/relative-time.ts',
      'src/ui/session-text.ts',
      'src/ui/session-tree-model.ts',
      'src/ui/sessions-model.ts',
      'src/ui/status-bar-text.ts',
      'src/ui/text-safety.ts',
      'src/ui/timing-settings.ts',
      'src/ui/tree-refresh.ts',
      'src/ui/window-session.ts',
    ],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'This UI module runs under plain Node: import vscode types only.', allowTypeImports: true }] }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
