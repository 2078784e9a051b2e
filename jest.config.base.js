// Shared jest preset for every workspace: one place for the TypeScript transform (swc, no type-check;
// `tsc --noEmit` is the typecheck task) and the test layout (tests/unit, tests/integration).
const path = require('node:path');

/** @param {string} dir the package directory (pass __dirname) */
module.exports = function jestConfig(dir, overrides = {}) {
  return {
    rootDir: dir,
    testEnvironment: 'node',
    transform: {
      '^.+\\.(t|j)s$': [
        require.resolve('@swc/jest'),
        { jsc: { target: 'es2023', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
      ],
    },
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    testMatch: ['<rootDir>/tests/**/*.test.ts'],
    // Integration tests talk to servers they start (moto's first EC2 call alone can take seconds on a
    // loaded 2-core machine); a unit test that hangs still fails, just later than jest's default 5 s.
    testTimeout: 30_000,
    cacheDirectory: path.join(dir, 'node_modules', '.cache', 'jest'),
    ...overrides,
  };
};
