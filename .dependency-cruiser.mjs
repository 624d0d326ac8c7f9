/**
 * The import rules of kiln's sources, checked by `npm run lint` (dependency-cruiser): pure modules
 * do no I/O and use no edge module, only the CLI uses core's api/, and no file or module (folder)
 * depends on itself through others. Which modules are pure: ARCHITECTURE.md and each module's
 * header comment; the list below is the one the lint enforces.
 */

/**
 * Pure modules and files: data in, data out. In release/ and workspace/, every file but the edges
 * named here (and index.ts, which exports both kinds): a new edge file there must be added.
 */
const pure = [
  '^packages/core/src/(model|graph|inputs|affected|hash|lockfile|owners|shard)/',
  '^packages/core/src/release/(?!(apply|attach|attestations|checkout|credentials|index|layout|pack|records|registry|served|versions)[.]ts$)[^/]+$',
  '^packages/core/src/workspace/(?!(find-root|index|read)[.]ts$)[^/]+$',
  '^packages/core/src/tasks/graph[.]ts$',
];

/** Node's modules for files, processes, threads and the network. */
const io = '^(node:)?(fs|fs/promises|child_process|cluster|net|http|https|http2|dgram|tls|worker_threads)$';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'pure-module-does-io',
      comment: 'A pure module takes data and returns data: the I/O belongs in an edge module (scm/, workspace readers, cache/, tasks/exec, release I/O), wired to it in api/.',
      severity: 'error',
      from: { path: pure },
      to: { dependencyTypes: ['core'], path: io, preCompilationOnly: false },
    },
    {
      name: 'pure-module-imports-edge',
      comment: 'A pure module uses (beyond types) a module that is not pure: loading it would load the I/O too.',
      severity: 'error',
      from: { path: pure },
      to: { path: '^packages/core/src/', pathNot: [...pure, '^packages/core/src/(model|trace)/'], preCompilationOnly: false },
    },
    {
      name: 'api-outside-the-cli',
      comment: "api/ wires edges to pure modules for the CLI and the Nx plugin: only they (and api/ itself) may use it, through @kiln/core's exports.",
      severity: 'error',
      from: { pathNot: '^packages/(cli/|nx-plugin/|core/src/api/)' },
      to: { path: '^packages/core/src/api/' },
    },
    {
      name: 'file-cycle',
      comment: 'These files import each other, directly or through others.',
      severity: 'error',
      from: { path: '^packages/' },
      to: { circular: true },
    },
    {
      name: 'module-cycle',
      comment: 'These modules (folders of packages/*/src) depend on each other, directly or through others.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^packages/[^/]+/src/' },
      to: { circular: true },
    },
    {
      name: 'unresolved-import',
      comment: 'An import that resolves to no file: the rules above cannot see through it.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // The sources as shipped: tests and build output are not part of the module structure.
    exclude: { path: ['[.]test[.]ts$', '/dist/', '(^|/)node_modules/'] },
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.base.json' },
    // Type-only imports are kept and marked: a cycle through types is still a cycle in the design,
    // but a pure module may name an edge module's types (preCompilationOnly above).
    tsPreCompilationDeps: 'specify',
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
