/** Tests run on the PostgreSQL named by DATABASE_URL, or on an embedded PGlite. */
const onPglite = !process.env.DATABASE_URL;

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.[tj]s$': [
      'ts-jest',
      { tsconfig: { module: 'commonjs', moduleResolution: 'node10', allowJs: true, isolatedModules: true } },
    ],
  },
  // middy and jose ship only ES modules; jest's module system needs them as CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(@middy|jose)/)'],
  setupFiles: ['<rootDir>/test/support/env.ts'],
  globalSetup: '<rootDir>/test/support/globalSetup.ts',
  globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
  testTimeout: 60_000,
  // PGlite serves one database per process; each test file starts its own, so keep CPU for them.
  maxWorkers: onPglite ? 2 : '50%',
};
