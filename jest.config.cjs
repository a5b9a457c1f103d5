// NestJS 12 ships ESM packages: @swc/jest compiles them (and our TypeScript) to CommonJS for jest.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  // Spec files are named by level: *.unit.spec.ts (the code alone, in memory), *.int.spec.ts (with a real store,
  // file, socket or process), *.e2e.spec.ts (the booted service over HTTP, in test/).
  testRegex: '\\.(unit|int|e2e)\\.spec\\.ts$',
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2023',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  // Everything is compiled except packages that are plain CommonJS already: google-protobuf's generated code
  // (used by the EventStoreDB client) relies on a sloppy-mode `this` that a transform would break.
  transformIgnorePatterns: ['/node_modules/(google-protobuf|@grpc|@eventstore)/'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // canonicalize exports only an "import" condition, which jest's CommonJS resolver does not try.
    '^canonicalize$': '<rootDir>/node_modules/canonicalize/lib/canonicalize.js',
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testTimeout: 30000,
  // Probes the MongoDB-protocol server once; specs that need it say plainly when they do not run.
  globalSetup: '<rootDir>/test/support/servers.ts',
};
