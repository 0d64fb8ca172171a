// Shared jest settings for every project. ts-jest compiles TypeScript file by file without type-checking
// (isolatedModules in tsconfig.base.json): `npm run lint` type-checks sources and tests with tsc.
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
  // A guard against hangs, not a speed requirement: CI machines are small and shared.
  testTimeout: 60000,
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(__dirname, 'tsconfig.base.json') }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@strata/protocol$': path.join(__dirname, 'packages/protocol/src/index.ts'),
    '^@strata/client$': path.join(__dirname, 'packages/client/src/index.ts'),
    '^@strata/client/kafkajs$': path.join(__dirname, 'packages/client/src/kafkajs/index.ts'),
    '^@strata/broker$': path.join(__dirname, 'apps/broker/src/index.ts'),
  },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
