module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '\\.ts$': '<rootDir>/test/support/esbuild-jest.cjs' },
  moduleFileExtensions: ['ts', 'js', 'cjs', 'json', 'node'],
  testTimeout: 120000,
};
