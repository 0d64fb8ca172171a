// Lint for every project. The module-boundary rule keeps dependencies pointing one way:
// client -> protocol <- broker; the CLI uses the client; protocol depends on no other project.
// Tests of the client, the CLI and tools start a real broker in-process (never the other way
// round: the broker and its tests never import the client, so the project graph has no cycle).
import nx from '@nx/eslint-plugin';

const boundaries = (extra = {}) => [
  'error',
  {
    enforceBuildableLibDependency: true,
    allow: [],
    depConstraints: [
      { sourceTag: 'scope:protocol', onlyDependOnLibsWithTags: [] },
      { sourceTag: 'scope:client', onlyDependOnLibsWithTags: ['scope:protocol', ...(extra.client ?? [])] },
      { sourceTag: 'scope:broker', onlyDependOnLibsWithTags: ['scope:protocol', ...(extra.broker ?? [])] },
      { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:client', 'scope:protocol', ...(extra.cli ?? [])] },
      { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:client', 'scope:protocol', 'scope:broker', 'scope:tools'] },
      { sourceTag: 'scope:docs', onlyDependOnLibsWithTags: ['scope:client', 'scope:protocol', 'scope:broker'] },
    ],
  },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    // tools/e2e/test/packed: a user's program, type-checked and run in a separate project against the packed tarballs.
    ignores: ['**/dist/**', '**/node_modules/**', '**/generated/**', '**/coverage/**', '**/*.js', '**/*.mjs', '**/*.cjs', 'tools/e2e/test/packed/**'],
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(),
      '@typescript-eslint/no-explicit-any': 'error',
      // noUncheckedIndexedAccess is on: a checked `!` is how hot loops index arrays without a branch.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-ignore': true, 'ts-nocheck': true, 'ts-expect-error': 'allow-with-description' }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/dist/**', '**/dist'], message: 'import the package, not its build output' }] }],
    },
  },
  {
    // Tests of the client and the CLI start a real broker in-process.
    files: ['packages/client/test/**/*.ts', 'packages/client/**/*.spec.ts', 'apps/cli/test/**/*.ts', 'apps/cli/**/*.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries({ client: ['scope:broker'], cli: ['scope:broker'] }),
    },
  },
];
