import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/** One zod for the whole workspace: zod/mini (see libs/sessions/src/lib/zod-messages.ts). */
const classicZod = {
  regex: '^zod(/v4)?$',
  message: "Import * as z from 'zod/mini': classic zod costs the hook ~70 ms of start-up.",
};

/**
 * Who may import whom. Every project carries three tags: type (app|lib|e2e|deployment|tool, or
 * testing for test utilities), scope (which app owns it, or shared) and runtime (nest|node|pure).
 * There is deliberately no catch-all constraint: a project whose tags match no row below may
 * import nothing of ours. Test utilities (type:testing) are open to test files only: `testFiles`
 * says which files those are, and only there do apps and libs see them.
 */
function depConstraints({ inTests }) {
  const libs = inTests ? ['type:lib', 'type:testing'] : ['type:lib'];
  return [
    // Apps never import apps: an app may only depend on libs.
    { sourceTag: 'type:app', onlyDependOnLibsWithTags: libs },
    { sourceTag: 'type:lib', onlyDependOnLibsWithTags: libs },
    // Tests on real processes, the deployment checks, benchmarks and test utilities may use the
    // test utilities anywhere.
    { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
    { sourceTag: 'type:deployment', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
    { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
    { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
    // Scopes: the firewall and the store belong to tunnel-api (it is the only writer of both).
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
    {
      sourceTag: 'scope:tunnel-api',
      onlyDependOnLibsWithTags: ['scope:tunnel-api', 'scope:shared'],
    },
    {
      sourceTag: 'scope:proxy-gateway',
      onlyDependOnLibsWithTags: ['scope:proxy-gateway', 'scope:shared'],
    },
    { sourceTag: 'scope:hook-cli', onlyDependOnLibsWithTags: ['scope:hook-cli', 'scope:shared'] },
    { sourceTag: 'scope:operator-cli', onlyDependOnLibsWithTags: ['scope:shared'] },
    // Benchmarks, test harnesses and deployment checks may drive any lib (never an app).
    {
      sourceTag: 'scope:tools',
      onlyDependOnLibsWithTags: [
        'scope:shared',
        'scope:tunnel-api',
        'scope:proxy-gateway',
        'scope:hook-cli',
        'scope:tools',
      ],
    },
    // Runtimes: pure logic stays free of frameworks, I/O and loggers.
    {
      sourceTag: 'runtime:pure',
      onlyDependOnLibsWithTags: ['runtime:pure'],
      bannedExternalImports: ['@nestjs/*', 'nest-winston', 'winston', 'better-sqlite3', 'ioredis'],
    },
    { sourceTag: 'runtime:node', onlyDependOnLibsWithTags: ['runtime:node', 'runtime:pure'] },
    {
      sourceTag: 'runtime:nest',
      onlyDependOnLibsWithTags: ['runtime:nest', 'runtime:node', 'runtime:pure'],
    },
  ];
}

const testFiles = ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/test/**/*.ts', '**/src/testing.ts'];

/**
 * The boundary rule. `allow` lists import paths exempt from it: an e2e project that drives its
 * app in-process names the app's sources there, and nothing else.
 */
export function moduleBoundaries({ inTests = false, allow = [] } = {}) {
  return {
    '@nx/enforce-module-boundaries': [
      'error',
      { enforceBuildableLibDependency: true, allow, depConstraints: depConstraints({ inTests }) },
    ],
  };
}

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/node_modules', '**/coverage', '**/.nx', '**/tmp'],
  },
  { files: ['**/*.ts', '**/*.js'], rules: moduleBoundaries() },
  { files: testFiles, rules: moduleBoundaries({ inTests: true }) },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-restricted-imports': ['error', { patterns: [classicZod] }],
    },
  },
  {
    // Build configs are not app code: they share tools/build, outside the module graph.
    files: ['**/webpack.config.js'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
];

/**
 * Extra guard for `runtime:pure` libs, imported by their own eslint.config.mjs: Node builtins
 * are not external packages in the Nx graph, so the boundary rule alone does not see them.
 */
export const pureLibRules = {
  files: ['**/*.ts'],
  // Tests (and a lib's testing entry) may do I/O: a real TLS stack is the honest source of a
  // ClientHello to parse.
  ignores: ['**/test/**', '**/*.spec.ts', '**/src/testing.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex:
              '^(node:)?(fs|fs/promises|net|child_process|dgram|http|https|tls|cluster|worker_threads)$',
            message: 'Pure libs take inputs and return outputs: no I/O. Do the I/O in an app.',
          },
          {
            regex: '^(@nestjs/.*|nest-winston|winston)$',
            message: 'Pure libs import no framework and no logger.',
          },
          classicZod,
        ],
      },
    ],
  },
};
