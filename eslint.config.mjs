// Lint for every project. The module-boundary rule keeps dependencies pointing one way:
// client -> protocol <- broker; the CLI uses the client; protocol depends on no other project.
// Broker tests may drive the broker through the client (the client is a devDependency there).
import nx from '@nx/eslint-plugin';

const boundaries = (extra = {}) => [
  'error',
  {
    enforceBuildableLibDependency: true,
    allow: [],
    depConstraints: [
      { sourceTag: 'scope:protocol', onlyDependOnLibsWithTags: [] },
      { sourceTag: 'scope:client', onlyDependOnLibsWithTags: ['scope:protocol'] },
      { sourceTag: 'scope:broker', onlyDependOnLibsWithTags: ['scope:protocol', ...(extra.broker ?? [])] },
      { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:client', 'scope:protocol', ...(extra.cli ?? [])] },
      { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:client', 'scope:protocol', 'scope:broker'] },
      { sourceTag: 'scope:docs', onlyDependOnLibsWithTags: ['scope:client', 'scope:protocol', 'scope:broker'] },
    ],
  },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/generated/**', '**/coverage/**', '**/*.js', '**/*.mjs', '**/*.cjs'],
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
    // Tests of the broker and the CLI may use the client and start an in-process broker.
    files: ['apps/broker/test/**/*.ts', 'apps/broker/**/*.spec.ts', 'apps/cli/test/**/*.ts', 'apps/cli/**/*.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries({ broker: ['scope:client'], cli: ['scope:broker'] }),
    },
  },
];
