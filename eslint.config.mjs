import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/** One zod for the whole workspace: zod/mini (see libs/sessions/src/lib/zod-messages.ts). */
const classicZod = {
  regex: '^zod(/v4)?$',
  message: "Import * as z from 'zod/mini': classic zod costs the hook ~70 ms of start-up.",
};

/**
 * Who may import whom. Every project carries three tags: type (app|lib), scope (which app owns
 * it, or shared) and runtime (nest|node|pure). There is deliberately no catch-all constraint: a
 * project whose tags match no row below may import nothing of ours.
 */
const depConstraints = [
  // Apps never import apps: an app may only depend on libs.
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
  // Scopes: the firewall and the store belong to tunnel-api (it is the only writer of both).
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:tunnel-api', onlyDependOnLibsWithTags: ['scope:tunnel-api', 'scope:shared'] },
  {
    sourceTag: 'scope:proxy-gateway',
    onlyDependOnLibsWithTags: ['scope:proxy-gateway', 'scope:shared'],
  },
  { sourceTag: 'scope:hook-cli', onlyDependOnLibsWithTags: ['scope:hook-cli', 'scope:shared'] },
  // Benchmarks and test harnesses may drive any lib (never an app).
  {
    sourceTag: 'scope:tools',
    onlyDependOnLibsWithTags: ['scope:shared', 'scope:tunnel-api', 'scope:proxy-gateway', 'scope:hook-cli'],
  },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'] },
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

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/node_modules', '**/coverage', '**/.nx', '**/tmp'],
  },
  {
    files: ['**/*.ts', '**/*.js'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints,
        },
      ],
    },
  },
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
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
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
