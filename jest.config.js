// Three suites, named by what they need (STYLE.md): pure specs, integration against the real
// broker and database, and end-to-end across real service processes.
const transform = { '^.+\\.ts$': ['@swc/jest'] };
const common = {
  transform,
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/services', '<rootDir>/cli', '<rootDir>/test'],
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.spec.ts'], testPathIgnorePatterns: ['\\.int\\.spec\\.ts$', '\\.e2e\\.spec\\.ts$', '/node_modules/'] },
    { ...common, displayName: 'integration', testMatch: ['**/*.int.spec.ts'], globalSetup: '<rootDir>/libs/testing/src/global-setup.ts', slowTestThreshold: 30 },
    { ...common, displayName: 'e2e', testMatch: ['**/*.e2e.spec.ts'], globalSetup: '<rootDir>/libs/testing/src/global-setup.ts', slowTestThreshold: 60 },
  ],
};
