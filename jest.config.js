/** Jest runs TypeScript ESM through SWC; one embedded PostgreSQL for the whole run (see platform/src/testkit). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2023', parser: { syntax: 'typescript' } }, module: { type: 'es6' } }] },
  testMatch: ['<rootDir>/**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/.data/'],
  globalSetup: '<rootDir>/platform/src/testkit/globalSetup.ts',
  globalTeardown: '<rootDir>/platform/src/testkit/globalTeardown.ts',
  testTimeout: 60000,
  maxWorkers: 2,
};
