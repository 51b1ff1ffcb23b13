/**
 * API tests against a real Postgres and Redis (DATABASE_URL, REDIS_URL).
 * The database must be migrated and seeded first:
 *   pnpm db:migrate && pnpm db:seed:test
 * JUnit goes to test-results/integration/, coverage (with --coverage) to
 * coverage/integration/.
 */
const path = require('node:path');

module.exports = {
  displayName: 'api-integration',
  rootDir: __dirname,
  roots: ['<rootDir>/apps/api/test'],
  testMatch: ['**/*.int-spec.ts'],
  testEnvironment: 'node',
  testTimeout: 30000,
  moduleNameMapper: {
    '^@tradosphere/shared$': path.join(__dirname, 'packages/shared/src/index.ts'),
  },
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: path.join(__dirname, 'apps/api/tsconfig.json') }],
  },
  collectCoverageFrom: ['apps/api/src/**/*.ts', '!**/*.spec.ts', '!apps/api/src/main.ts'],
  coverageDirectory: '<rootDir>/coverage/integration',
  coverageReporters: ['json', 'lcov', 'cobertura', 'text-summary'],
  reporters: [
    'default',
    [
      'jest-junit',
      {
        outputDirectory: '<rootDir>/test-results/integration',
        outputName: 'junit.xml',
        addFileAttribute: 'true',
      },
    ],
  ],
};
