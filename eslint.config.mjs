// Lint for every project. The module-boundary rule keeps dependencies pointing one way:
// client -> protocol <- broker; the CLI and the web console use the client (the CLI also the
// broker's offline storage check, `strata storage verify`); protocol depends on no other project.
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
      // The CLI serves the console's built files (`strata console`; it imports none of its code) and
      // runs the broker's offline storage check (`strata storage verify`).
      { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:client', 'scope:protocol', 'scope:console', 'scope:broker', ...(extra.cli ?? [])] },
      { sourceTag: 'scope:console', onlyDependOnLibsWithTags: ['scope:client', 'scope:protocol', ...(extra.console ?? [])] },
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
    files: ['**/*.ts', '**/*.tsx'],
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
    // Tests of the client, the CLI and the console start a real broker in-process.
    files: ['packages/client/test/**/*.ts', 'packages/client/**/*.spec.ts', 'apps/cli/test/**/*.ts', 'apps/cli/**/*.spec.ts', 'apps/console/test/**/*.ts', 'apps/console/**/*.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries({ client: ['scope:broker'], cli: ['scope:broker'], console: ['scope:broker'] }),
    },
  },
];
