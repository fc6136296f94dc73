/** Unit tests need no service; integration tests talk to the services `make services` starts. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 120000,
  reporters: ['default', '<rootDir>/test/support/slowest-reporter.js'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
};
