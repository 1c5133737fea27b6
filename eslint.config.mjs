import js from '@eslint/js'
import reactHooks from 'eslint-plugin-react-hooks'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['.next/**', 'node_modules/**', 'lib/generated/**', 'content/**/workspace/**', 'content/shared/**', 'tests/fixtures/**/workspace/**', 'tests/fixtures/**/shared/**', 'test-results/**', '.cache/**', 'images/**'] },
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
    // deploy/: plain Node scripts the images run (health checks), outside the TypeScript build.
    files: ['deploy/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', fetch: 'readonly', AbortSignal: 'readonly' } },
  },
  {
    // Nothing outside lib/docker talks to Docker directly: no dockerode (its types included), and
    // no way to the client inside a DockerDaemon. Signatures that leak a dockerode type without
    // importing it are caught by tests/unit/docker/boundary.test.ts.
    files: ['app/**', 'components/**', 'lib/**', 'scripts/**', 'server.ts', 'agent.ts'],
    ignores: ['lib/docker/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'dockerode', message: 'Docker calls live in lib/docker/: use its functions and DockerDaemon.' }],
          patterns: [{ group: ['**/docker/client.server'], importNames: ['apiOf', 'dockerDaemonForTests'], message: 'The dockerode client stays in lib/docker/.' }],
        },
      ],
    },
  },
)
