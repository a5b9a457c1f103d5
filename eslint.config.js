// ESLint 9 flat config, run by `npm run lint:ts` (part of `npm test`). Only rules that use the type checker
// to catch what tsc lets through: a forgotten `await`, a promise handed where nothing awaits it, a `switch`
// that silently misses a new event or command. Formatting and style are left to review (STYLE.md).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'client/', 'console/', 'bench/emmett/', 'coverage/'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A switch over a union (events, commands, statuses) must name every member or say `default`: a new event
      // type then shows every place that must learn it, as the domain relies on (docs/architecture.md).
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // A promise nobody awaits loses its error (an unhandled rejection kills the process) and its ordering
      // (an append or a checkpoint that may land after what follows it).
      '@typescript-eslint/no-floating-promises': 'error',
      // A promise where a plain value is expected: an async callback to forEach, an `if (promise)` always true.
      '@typescript-eslint/no-misused-promises': 'error',
      // Awaiting something that is not a promise is a sign the code misreads what it calls.
      '@typescript-eslint/await-thenable': 'error',
      // A cast to the type the value has already only hides, at the next change, a cast that is no longer true.
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      // An API its library has marked for removal: say why in a disable comment, or move off it.
      '@typescript-eslint/no-deprecated': 'error',
      // `return promise` inside try/catch escapes the catch and the finally: return await there.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // Throwing or rejecting with a non-Error loses the stack and breaks `instanceof` in the problem mapping.
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      // Dead code: an import or a variable nobody reads (tsconfig.json does not set noUnusedLocals).
      // A leading underscore marks what is unused on purpose.
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true,
      }],
    },
  },
);
