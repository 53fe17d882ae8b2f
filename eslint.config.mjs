// One lint set-up for the whole workspace. Module boundaries come from each project's tags
// (package.json "nx.tags"): the domain stays pure, adapters may not be imported by the domain.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** Libraries that do I/O; a `type:domain` or `type:contract` project may import none of them. */
const ioLibraries = [
  'node:*',
  'fs',
  'fs/*',
  'net',
  'http',
  'https',
  'child_process',
  'crypto',
  'os',
  'worker_threads',
  'pg',
  'pg-*',
  '@electric-sql/*',
  'kafkajs',
  '@kurrent/*',
  '@eventstore/*',
  '@prisma/*',
  'prisma',
  'graphql-yoga',
  'testcontainers',
  '@testcontainers/*',
  'pino',
  'jose',
];

function boundaries({ inTests }) {
  const testing = inTests ? ['type:testing'] : [];
  return {
    enforceBuildableLibDependency: false,
    depConstraints: [
      {
        sourceTag: 'type:domain',
        onlyDependOnLibsWithTags: ['type:domain', 'type:contract', 'type:util', ...testing],
        bannedExternalImports: inTests
          ? ioLibraries.filter((l) => !l.startsWith('node:'))
          : ioLibraries,
      },
      {
        sourceTag: 'type:contract',
        onlyDependOnLibsWithTags: ['type:contract', 'type:util', ...testing],
      },
      { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', ...testing] },
      {
        sourceTag: 'type:adapter',
        onlyDependOnLibsWithTags: [
          'type:domain',
          'type:contract',
          'type:util',
          'type:adapter',
          ...testing,
        ],
      },
      {
        sourceTag: 'type:testing',
        onlyDependOnLibsWithTags: [
          'type:domain',
          'type:contract',
          'type:util',
          'type:adapter',
          'type:testing',
        ],
      },
      { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['*'] },
    ],
  };
}

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.tools/**',
      '**/.cache/**',
      '**/generated/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts', '**/*.mts', '**/*.tsx'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@nx/enforce-module-boundaries': ['error', boundaries({ inTests: false })],
    },
  },
  {
    // Specs and benchmarks may also use the testing libraries (Given/When/Then, service harness).
    // Scripts (code generators) read and write files at build time; they are not the library.
    files: ['**/*.spec.ts', '**/bench/**/*.ts', 'libs/*/scripts/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries({ inTests: true })] },
  },
  {
    files: ['**/vitest.config.ts', 'vitest.*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
);
