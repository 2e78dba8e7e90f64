import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Boundaries are enforced here, not in review: libs never import services; domain libraries
// (tag kind:domain) import only other domain libraries and no npm package at all.
const constraints = (domainExternals) => [
  { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'kind:domain', onlyDependOnLibsWithTags: ['kind:domain'], allowedExternalImports: domainExternals },
];
const boundaries = (domainExternals) => [
  'error',
  { enforceBuildableLibDependency: false, allow: [], depConstraints: constraints(domainExternals), banTransitiveDependencies: false },
];

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', 'libs/contracts/src/gen/**', '.cache/**', '.data/**', '.nx/**', 'coverage/**', 'deploy/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': boundaries([]),
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-require-imports': 'off',
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/services/**', '../../services/*'], message: 'libraries never import services' }] }],
    },
  },
  {
    // Tests of domain code may use the test toolkit; the code under test still may not.
    files: ['**/*.spec.ts', '**/test/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaries(['fast-check', '@jest/*', 'jest']) },
  },
  {
    // Services import libraries; only service code may reach for another service's folder never.
    files: ['services/**/*.ts', 'cli/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
];
