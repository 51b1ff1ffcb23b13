/**
 * Unit tests of every package: pure, no network, no database.
 * JUnit goes to test-results/unit/, coverage (with --coverage) to coverage/.
 */
const path = require('node:path');

const sharedSource = path.join(__dirname, 'packages/shared/src/index.ts');

function project(name, dir, tsconfig, sources) {
  return {
    displayName: name,
    rootDir: path.join(__dirname, dir),
    testEnvironment: 'node',
    testMatch: ['<rootDir>/**/*.spec.ts'],
    testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.next/'],
    moduleNameMapper: { '^@tradosphere/shared$': sharedSource },
    transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: path.join(__dirname, dir, tsconfig) }] },
    collectCoverageFrom: [...sources, '!**/*.spec.ts', '!**/index.ts', '!**/main.ts'],
  };
}

module.exports = {
  projects: [
    project('shared', 'packages/shared', 'tsconfig.json', ['src/**/*.ts']),
    project('api', 'apps/api', 'tsconfig.json', ['src/**/*.ts']),
    project('web', 'apps/web', 'tsconfig.jest.json', ['lib/**/*.ts']),
  ],
  // Untested files are found with these globs, relative to each project.
  collectCoverageFrom: [
    'src/**/*.ts',
    'lib/**/*.ts',
    '!**/*.spec.ts',
    '!**/index.ts',
    '!**/main.ts',
  ],
  coverageDirectory: '<rootDir>/coverage',
  coverageReporters: ['json', 'lcov', 'cobertura', 'text-summary'],
  reporters: [
    'default',
    [
      'jest-junit',
      {
        outputDirectory: '<rootDir>/test-results/unit',
        outputName: 'junit.xml',
        suiteNameTemplate: '{displayName} › {filepath}',
        classNameTemplate: '{classname}',
        titleTemplate: '{title}',
        addFileAttribute: 'true',
      },
    ],
  ],
};
