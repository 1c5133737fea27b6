import js from '@eslint/js'
import reactHooks from 'eslint-plugin-react-hooks'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['.next/**', 'node_modules/**', 'lib/generated/**', 'content/**/workspace/**', 'test-results/**', '.cache/**', 'images/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Dockerode and the Engine API hand us loosely typed data; zod narrows it at the edge.
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  {
    // Nothing outside lib/docker talks to Docker directly.
    files: ['app/**', 'components/**', 'lib/**'],
    ignores: ['lib/docker/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'dockerode', message: 'Docker calls live in lib/docker/.' }] }] },
  },
)
