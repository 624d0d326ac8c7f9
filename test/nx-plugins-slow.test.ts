/**
 * Agreement with real nx and real inference plugins (@nx/js/typescript, @nx/vite/plugin,
 * @nx/jest/plugin) at the nx version this repository pins: on a workspace that uses them, every
 * project's targets (names, executors, options, inputs, outputs, dependsOn) from `kiln graph
 * --json` equal `nx show project NAME --json`, and on a handful of changes `kiln affected` equals
 * `nx show projects --affected`, apart from the differences docs/nx-plugins.md documents.
 *
 * The plugins are installed from npm once per machine into a folder under the system temp
 * directory (`tools/nx-plugins.mjs`; `.ci/run` starts it in the background before `npm ci`), and
 * each test workspace links its node_modules there.
 */
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installNxPlugins, nxPlugins, nxVersion } from '../tools/nx-plugins.mjs';
import { nxEnv } from './helpers/nx.js';
import { createRepo, start, type FileTree, type TempRepo } from './helpers/repo.js';

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
const devDependencies = (nx: string) => Object.fromEntries(nxPlugins.map((p) => [p, p === 'nx' ? nx : nxVersion]));

/** A package-lock.json for the workspace (Nx reads external packages, and their versions, from it). */
const lockfile = (nx: string) => ({
  name: 'ws',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': { name: 'ws', workspaces: ['packages/*'], devDependencies: devDependencies(nx) },
    ...Object.fromEntries(
      ['lib-a', 'lib-b', 'app-c'].flatMap((p) => [
        [`packages/${p}`, { name: `@ws/${p}`, version: '1.0.0' }],
        [`node_modules/@ws/${p}`, { resolved: `packages/${p}`, link: true }],
      ]),
    ),
    ...Object.fromEntries(
      nxPlugins.map((p) => [`node_modules/${p}`, { version: p === 'nx' ? nx : nxVersion, integrity: `sha512-${p}-${p === 'nx' ? nx : nxVersion}`, dev: true }]),
    ),
  },
});

function workspace(): FileTree {
  return {
    '.gitignore': 'node_modules\n.nx\n.kiln\ndist\nnx-graph.json\n',
    'package.json': { name: 'ws', private: true, workspaces: ['packages/*'], devDependencies: devDependencies(nxVersion) },
    'package-lock.json': lockfile(nxVersion),
    'nx.json': {
      plugins: [
        { plugin: '@nx/js/typescript', options: { typecheck: { targetName: 'typecheck' }, build: { targetName: 'build', configName: 'tsconfig.lib.json' } } },
        { plugin: '@nx/vite/plugin', options: { buildTargetName: 'vite-build', testTargetName: 'vite-test' } },
        { plugin: '@nx/jest/plugin', options: { targetName: 'test' }, exclude: ['packages/app-c/**'] },
      ],
      targetDefaults: { test: { dependsOn: ['^build'] } },
      namedInputs: { default: ['{projectRoot}/**/*'], production: ['default', '!{projectRoot}/**/*.spec.ts'] },
    },
    'tsconfig.base.json': {
      compilerOptions: { composite: true, declaration: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, skipLibCheck: true },
    },
    'tsconfig.json': { extends: './tsconfig.base.json', files: [], references: [{ path: './packages/lib-a' }, { path: './packages/lib-b' }] },
    'packages/lib-a/package.json': { name: '@ws/lib-a', version: '1.0.0', type: 'module', main: './dist/index.js', types: './dist/index.d.ts' },
    'packages/lib-a/src/index.ts': 'export const a = 1;\n',
    'packages/lib-a/src/index.spec.ts': "import { a } from './index.js';\nif (a !== 1) throw new Error();\n",
    'packages/lib-a/tsconfig.json': { extends: '../../tsconfig.base.json', files: [], references: [{ path: './tsconfig.lib.json' }] },
    'packages/lib-a/tsconfig.lib.json': {
      extends: '../../tsconfig.base.json',
      compilerOptions: { rootDir: 'src', outDir: 'dist', tsBuildInfoFile: 'dist/tsconfig.lib.tsbuildinfo' },
      include: ['src/**/*.ts'],
      exclude: ['src/**/*.spec.ts'],
    },
    'packages/lib-a/vite.config.ts':
      "import { defineConfig } from 'vite';\nexport default defineConfig({ root: __dirname, build: { outDir: './dist-vite', lib: { entry: 'src/index.ts', formats: ['es'] } } });\n",
    // A package.json target the plugins complete (nx:noop in nx too: @nx/js/typescript gives no build without a tsconfig.lib.json).
    'packages/lib-b/package.json': {
      name: '@ws/lib-b',
      version: '1.0.0',
      main: './src/index.js',
      dependencies: { '@ws/lib-a': '*' },
      nx: { targets: { build: { dependsOn: ['^build'] } } },
    },
    'packages/lib-b/src/index.ts': 'export const b = 2;\n',
    'packages/lib-b/jest.config.js': "module.exports = { displayName: 'lib-b', testEnvironment: 'node' };\n",
    'packages/app-c/package.json': { name: '@ws/app-c', version: '1.0.0', private: true, dependencies: { '@ws/lib-b': '*' }, scripts: { start: 'node src/main.js' } },
    'packages/app-c/src/main.ts': "import '@ws/lib-b';\n",
    'packages/app-c/jest.config.js': 'module.exports = {};\n',
  };
}

let repo: TempRepo;
const projects = ['@ws/app-c', '@ws/lib-a', '@ws/lib-b'];

/** nx, its plugins in-process (no plugin workers: the same nodes, in half the time). */
async function nx(args: string[]): Promise<string> {
  const r = await start(process.execPath, [join(repo.dir, 'node_modules/nx/bin/nx.js'), ...args], {
    cwd: repo.dir,
    env: { ...nxEnv, NX_SKIP_NX_CACHE: 'true', NX_ISOLATE_PLUGINS: 'false' },
  }).done;
  if (r.code !== 0) throw new Error(`nx ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** What the agreement compares of a target; Nx always writes `options`. */
const compared = (targets: Record<string, any>) =>
  Object.fromEntries(
    Object.entries(targets)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, t]) => [name, { executor: t.executor, options: t.options ?? {}, inputs: t.inputs, outputs: t.outputs, dependsOn: t.dependsOn }]),
  );

beforeAll(async () => {
  const modules = await installNxPlugins();
  repo = createRepo(workspace());
  symlinkSync(modules, join(repo.dir, 'node_modules'));
}, 240_000);
afterAll(() => repo?.cleanup());

describe('nx.json plugins against real nx', () => {
  it("every project's targets equal nx show project's", async () => {
    const graph = repo.kiln(['graph', '--json']);
    expect(graph.code, graph.stderr).toBe(0);
    expect(graph.stderr).toBe('');
    const nodes = graph.json<{ nodes: Record<string, { data: { targets: Record<string, unknown> } }> }>().nodes;
    expect(Object.keys(nodes).sort()).toEqual(projects);
    await nx(['graph', '--file=nx-graph.json']);
    const theirs = (JSON.parse(readFileSync(join(repo.dir, 'nx-graph.json'), 'utf8')) as { graph: { nodes: typeof nodes } }).graph.nodes;
    for (const name of projects) expect(compared(nodes[name]!.data.targets), name).toEqual(compared(theirs[name]!.data.targets));
    // Inferred targets really are there: a package.json target completed, a plugin's own.
    expect(Object.keys(nodes['@ws/lib-a']!.data.targets)).toEqual(expect.arrayContaining(['build', 'typecheck', 'vite-build']));
    expect(Object.keys(nodes['@ws/lib-b']!.data.targets)).toContain('test');
  });

  const changes: [string, FileTree][] = [
    ['a source file', { 'packages/lib-a/src/index.ts': 'export const a = 2;\n' }],
    [
      "a plugin's config file",
      { 'packages/lib-a/vite.config.ts': "import { defineConfig } from 'vite';\nexport default defineConfig({ root: __dirname, build: { outDir: './out' } });\n" },
    ],
    ['a jest config', { 'packages/lib-b/jest.config.js': "module.exports = { displayName: 'b', testEnvironment: 'node' };\n" }],
    ['an excluded config file', { 'packages/app-c/jest.config.js': 'module.exports = { verbose: true };\n' }],
    [
      "an Nx upgrade (a global package's version)",
      { 'package.json': json({ ...(workspace()['package.json'] as object), devDependencies: devDependencies('22.0.0') }), 'package-lock.json': json(lockfile('22.0.0')) },
    ],
  ];
  it.each(changes)('kiln affected equals nx show projects --affected: %s', async (_, files) => {
    repo.git('checkout', '-q', 'main');
    repo.git('checkout', '-q', '-B', 'change');
    repo.commit('change', files);
    const theirs = (JSON.parse(await nx(['show', 'projects', '--affected', '--base=main', '--head=HEAD', '--json'])) as string[]).sort();
    const ours = repo.kiln(['affected', '--base', 'main', '--head', 'HEAD', '--json']);
    expect(ours.code, ours.stderr).toBe(0);
    expect(ours.json<{ projects: string[] }>().projects).toEqual(theirs);
  });
});
