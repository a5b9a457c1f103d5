/**
 * The dependency rules of the service, checked by `npm run lint:deps` (part of `npm test`).
 * docs/architecture.md ("Dependency rules") says the same in prose. Each rule says why it exists.
 *
 * Vocabulary used below:
 * - domain: the pure files of a slice (*.events.ts, *.state.ts, *.decider.ts, *.policy.ts);
 * - ports: src/event-store/ and src/read-store/ outside their adapter folders;
 * - adapters: src/event-store/{sqlite,eventstoredb}/ and src/read-store/{sqlite,mongodb}/;
 * - wiring: the modules that choose an adapter from configuration (event-store.module.ts, read-store.module.ts)
 *   and the programs that build stores themselves (src/cli/, src/bench/);
 * - specs: *.spec.ts, *.contract.ts and everything under test/, which may build adapters directly.
 */
const DOMAIN = '^src/.+[.](events|state|decider|policy)[.]ts$';
const ADAPTERS = '^src/(event-store/(sqlite|eventstoredb)|read-store/(sqlite|mongodb))/';
const WIRING = '^src/(event-store/event-store[.]module[.]ts|read-store/read-store[.]module[.]ts|cli/|bench/)';
const SPECS = '([.](spec|contract)[.]ts$|^test/)';
const SLICES = '^src/(analytics|audit|cases|health|institutions|metrics|networks|privacy|projections|reference|seed|users|webhooks)/';
const FRAMEWORKS = '^node_modules/(@nestjs/|fastify|@fastify/|mongodb|better-sqlite3|@eventstore/|rxjs)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment:
        'Deciders, states, events and policies are plain functions over plain data, so replaying the log always gives ' +
        'the same state and a decider spec needs no app. They import no framework, no database client and no adapter.',
      from: { path: DOMAIN },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-peer', 'npm-optional'], path: FRAMEWORKS },
    },
    {
      name: 'domain-uses-no-crypto',
      severity: 'error',
      comment:
        'Time and ids arrive in the command: a domain file that hashes, encrypts or draws random ids (node:crypto) ' +
        'would decide differently on replay. Sealing and hashing happen on the command path, outside the decider.',
      from: { path: DOMAIN },
      to: { path: '^(node:)?crypto$' },
    },
    {
      name: 'domain-imports-only-domain-and-core',
      severity: 'error',
      comment:
        'A domain file may use other domain files and the pure parts of core (decider type, errors, actor). ' +
        'Anything else (handlers, controllers, projections, ports, adapters, http) would pull infrastructure into the rules.',
      from: { path: DOMAIN },
      to: {
        path: '^src/',
        pathNot: [DOMAIN, '^src/core/(actor|decider|domain-error)[.]ts$', '^src/privacy/personal[.]ts$'],
      },
    },
    {
      name: 'core-imports-no-slice',
      severity: 'error',
      comment:
        'core is what every slice builds on; if it knew a slice, adding a slice would mean editing core and the ' +
        'import graph would have cycles. Slices register what core needs (upcasters, stream prefixes, system events) into core.',
      from: { path: '^src/core/', pathNot: SPECS },
      to: { path: '^src/', pathNot: ['^src/core/', '^src/event-store/[^/]+[.]ts$'] },
    },
    {
      name: 'config-imports-no-slice',
      severity: 'error',
      comment:
        'Configuration is read before any slice is built and by the CLI too; it owns its defaults rather than ' +
        'borrowing them from a slice, so reading the environment never loads a feature.',
      from: { path: '^src/config/', pathNot: SPECS },
      to: { path: '^src/', pathNot: ['^src/config/', '^src/core/'] },
    },
    {
      name: 'ports-import-no-slice',
      severity: 'error',
      comment:
        'The event-store and read-store ports (and the modules that provide them) serve every slice and know none: ' +
        'what slices contribute to them (stream prefixes, upcasters) is handed in by the app from src/event-catalog.ts.',
      from: { path: '^src/(event-store|read-store)/', pathNot: SPECS },
      to: { path: SLICES },
    },
    {
      name: 'commands-know-no-http',
      severity: 'error',
      comment:
        'Command handlers and core answer a CommandResult (src/core/command-result.ts) whoever sent the command: ' +
        'the HTTP routes, the CLI, the seed or the expiry scheduler. Shaping the HTTP answer is the controllers\' job.',
      from: { path: ['^src/core/', '^src/[^/]+/commands/'], pathNot: SPECS },
      to: { path: '^src/http/' },
    },
    {
      name: 'adapters-only-from-wiring',
      severity: 'error',
      comment:
        'The service depends on the event-store and read-store ports; which adapter runs is a configuration choice ' +
        'made in one place (the store modules, the CLI, the benchmarks). Slices, projections, core and the ports never name an adapter.',
      from: { path: '^src/', pathNot: [ADAPTERS, WIRING, SPECS] },
      to: { path: ADAPTERS },
    },
    {
      name: 'adapters-depend-on-ports-only',
      severity: 'error',
      comment:
        'An adapter implements its port and may use core; it knows no slice, no projection and no other adapter ' +
        'family, so it can be replaced or tested on its own (the contract specs).',
      from: { path: ADAPTERS, pathNot: SPECS },
      to: {
        path: '^src/',
        pathNot: ['^src/core/', '^src/(event-store|read-store)/[^/]+[.]ts$', '^src/$1/'],
      },
    },
    {
      name: 'src-never-imports-test',
      severity: 'error',
      comment:
        'test/ holds the harness of the end-to-end specs; the service must build and run without it ' +
        '(tsconfig.build.json leaves it out). Helpers that unit specs under src/ share live in src/core/testing/.',
      from: { path: '^src/', pathNot: SPECS },
      to: { path: '^test/' },
    },
    {
      name: 'unit-specs-need-no-harness',
      severity: 'error',
      comment:
        'Unit specs (*.unit.spec.ts) run with nothing but the code under test and src/core/testing/: no harness ' +
        'from test/, no store adapter. Integration specs (*.int.spec.ts) beside an adapter or a migration (a MongoDB ' +
        'server, the EventStoreDB double, the booted app) may take their harness from test/support/.',
      from: { path: '[.]unit[.]spec[.]ts$' },
      to: { path: ['^test/', '^src/(event-store|read-store)/(sqlite|eventstoredb|mongodb)/'] },
    },
    {
      name: 'production-imports-no-testing-helpers',
      severity: 'error',
      comment: 'src/core/testing/ serves specs only; code that runs in the service never loads it.',
      from: { path: '^src/', pathNot: [SPECS, '^src/core/testing/'] },
      to: { path: '^src/core/testing/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle means two modules cannot be understood, tested or loaded apart, and with ESM it can leave an ' +
        'import undefined at start-up. There is none today, type-only imports included: keep it so.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve fails at run time; catch it here too.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-undeclared-dependency',
      severity: 'error',
      comment:
        'Code under src/ runs in production, where devDependencies are not installed (npm ci --omit=dev in the Dockerfile).',
      from: { path: '^src/', pathNot: [SPECS, '^src/bench/'] },
      to: { dependencyTypes: ['npm-dev', 'npm-no-pkg', 'npm-unknown'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|console|client|bench/emmett)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.d.ts'],
    },
    skipAnalysisNotInRules: true,
  },
};
