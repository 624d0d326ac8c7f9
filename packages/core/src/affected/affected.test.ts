import micromatch from 'micromatch';
import { describe, expect, it } from 'vitest';
import {
  affectedClosure,
  compareConfigs,
  describeReason,
  explainChain,
  narrowNxJson,
  narrowRootPackageJson,
  narrowRootTsconfig,
  touchesFromFiles,
  touchesFromRootPatterns,
  workspaceRootInputTouches,
  affectedProjects,
  workspaceFilesToRead,
  type DependencyGraph,
  type FileVersions,
} from './index.js';

const projects = [
  { name: 'root', root: '' },
  { name: 'connection', root: 'services/connection' },
  { name: 'payroll', root: 'services/payroll' },
  { name: 'invoice', root: 'services/invoice' },
  { name: 'conn-ext', root: 'services/connection-ext' },
  { name: 'nested', root: 'services/connection/plugins/x' },
];
const graph: DependencyGraph = {
  projects,
  dependencies: new Map([
    ['payroll', ['connection']],
    ['invoice', ['payroll']],
    ['conn-ext', []],
  ]),
};

describe('ownership', () => {
  it('counts both paths of a rename, and ownership at base too', () => {
    const touches = touchesFromFiles(
      [{ status: 'renamed', from: 'services/payroll/a.ts', path: 'services/invoice/a.ts' }, { status: 'deleted', path: 'old/x/project.json' }],
      projects.slice(1),
      [...projects.slice(1), { name: 'old', root: 'old/x' }],
    );
    expect(touches.map((t) => `${t.project}:${(t.reason as { file: string }).file}`)).toEqual([
      'payroll:services/payroll/a.ts',
      'invoice:services/invoice/a.ts',
      'old:old/x/project.json',
    ]);
  });
});

describe('closure', () => {
  it('walks reverse edges with reasons and a readable chain', () => {
    const r = affectedClosure(graph, touchesFromFiles([{ status: 'modified', path: 'services/connection/src/pool.ts' }], projects));
    expect(r.projects).toEqual(['connection', 'invoice', 'payroll']);
    expect(r.reasons.get('payroll')).toEqual([{ kind: 'dependency', on: 'connection' }]);
    expect(explainChain(r, 'invoice')).toBe('invoice <- payroll (dependency) <- connection (dependency) <- services/connection/src/pool.ts (changed)');
    expect(explainChain(r, 'connection')).toBe('connection <- services/connection/src/pool.ts (changed)');
  });

  it('a lockfile reason reads as the change it is: versions, or what changed at one version', () => {
    const reason = { kind: 'lockfile', package: 'qs', file: 'pnpm-lock.yaml', via: ['express'], before: ['6.11.0'], after: ['6.11.1'] } as const;
    expect(describeReason(reason)).toBe('qs (external package in pnpm-lock.yaml: 6.11.0 → 6.11.1, via express)');
    const integrity = { ...reason, before: ['6.11.0'], after: ['6.11.0'], detail: 'same version, another integrity or source' };
    expect(describeReason(integrity)).toBe('qs (external package in pnpm-lock.yaml: 6.11.0, same version, another integrity or source, via express)');
  });

  it('a global reason marks everything; unknown projects are handed back', () => {
    const r = affectedClosure(graph, [{ project: 'gone', reason: { kind: 'file', file: 'x' } }], [{ kind: 'global', file: 'nx.json', detail: 'plugins changed' }]);
    expect(r.projects).toEqual(projects.map((p) => p.name).sort());
    expect(r.unknown).toHaveLength(1);
    expect(explainChain(r, 'payroll')).toBe('payroll <- nx.json (global: plugins changed)');
  });

  it('survives cycles', () => {
    const cyclic: DependencyGraph = { projects: [{ name: 'a', root: 'a' }, { name: 'b', root: 'b' }], dependencies: new Map([['a', ['b']], ['b', ['a']]]) };
    const r = affectedClosure(cyclic, [{ project: 'a', reason: { kind: 'file', file: 'a/x' } }]);
    expect(r.projects).toEqual(['a', 'b']);
    expect(explainChain(r, 'b')).toBe('b <- a (dependency) <- a/x (changed)');
  });
});

describe('root package.json', () => {
  const base = { name: 'ws', dependencies: { lodash: '^4.17.0', express: '^4' }, devDependencies: { typescript: '^5' }, scripts: { x: 'y' } };
  it('names the dependencies whose ranges changed', () => {
    const n = narrowRootPackageJson('package.json', base, { ...base, dependencies: { lodash: '^4.17.21', express: '^4' }, scripts: { x: 'z' } });
    expect(n).toMatchObject({ packages: ['lodash'], global: [], projectsMayChange: false });
  });
  it('overrides name their packages; removals and unknown fields are global', () => {
    expect(narrowRootPackageJson('package.json', base, { ...base, overrides: { 'a>@s/qs@6': '1', foo: '2' } }).packages).toEqual(['@s/qs', 'a', 'foo']);
    const removed = narrowRootPackageJson('package.json', base, { ...base, dependencies: { express: '^4' } });
    expect(removed.global[0]).toMatchObject({ kind: 'global', detail: expect.stringContaining('dependencies.lodash was removed') });
    // Moving a package between dependency fields is not a removal.
    const moved = narrowRootPackageJson('package.json', base, { ...base, dependencies: { express: '^4' }, devDependencies: { typescript: '^5', lodash: '^4.17.0' } });
    expect(moved).toMatchObject({ packages: ['lodash'], global: [] });
    expect(narrowRootPackageJson('package.json', base, { ...base, type: 'module' }).global).toHaveLength(1);
    expect(narrowRootPackageJson('package.json', base, { ...base, workspaces: ['libs/*'] }).projectsMayChange).toBe(true);
  });
});

describe('root tsconfig', () => {
  const base = { compilerOptions: { strict: true, paths: { '@org/a': ['libs/a/src/index.ts'], '@org/b/*': ['libs/b/src/*'] } } };
  const ps = [{ name: 'a', root: 'libs/a' }, { name: 'b', root: 'libs/b' }, { name: 'c', root: 'libs/c' }];
  it('a paths change touches the old and new targets only', () => {
    const n = narrowRootTsconfig('tsconfig.base.json', base, { compilerOptions: { strict: true, paths: { '@org/a': ['libs/c/src/index.ts'], '@org/b/*': ['libs/b/src/*'] } } }, ps);
    expect(n.global).toEqual([]);
    expect(n.touches.map((t) => t.project)).toEqual(['a', 'c']);
  });
  it('another option, or a removed alias, is global', () => {
    expect(narrowRootTsconfig('tsconfig.base.json', base, { compilerOptions: { ...base.compilerOptions, strict: false } }, ps).global[0]!).toMatchObject({ detail: 'compilerOptions.strict changed' });
    expect(narrowRootTsconfig('tsconfig.base.json', base, { compilerOptions: { strict: true, paths: {} } }, ps).global).toHaveLength(2);
  });
});

describe('nx.json and project configuration', () => {
  it('inert keys touch nothing, per-project keys defer to the config comparison, plugins are global', () => {
    expect(narrowNxJson('nx.json', { defaultBase: 'main' }, { defaultBase: 'dev' })).toMatchObject({ global: [], projectsMayChange: false });
    expect(narrowNxJson('nx.json', {}, { targetDefaults: { build: {} } }).projectsMayChange).toBe(true);
    expect(narrowNxJson('nx.json', {}, { plugins: ['@nx/js'] }).global).toHaveLength(1);
  });
  it('compares effective configs; reports moves and removals', () => {
    const r = compareConfigs(
      [{ name: 'a', root: 'a', fingerprint: '1' }, { name: 'b', root: 'b', fingerprint: '1' }, { name: 'c', root: 'c', fingerprint: '1' }],
      [{ name: 'a', root: 'a', fingerprint: '1' }, { name: 'b', root: 'b2', fingerprint: '2' }, { name: 'd', root: 'd', fingerprint: '1' }],
      'nx.json',
    );
    expect(r.touches.map((t) => [t.project, (t.reason as { detail: string }).detail])).toEqual([['b', 'moved from b'], ['d', 'project added']]);
    expect(r.removed.map((p) => p.name)).toEqual(['c']);
  });
});

describe('{workspaceRoot} inputs', () => {
  it('touch the projects whose targets name them, through named inputs', () => {
    const touches = workspaceRootInputTouches(
      [
        { name: 'a', targets: { build: { inputs: ['shared'] } } },
        { name: 'b', targets: { test: { inputs: [{ fileset: '{workspaceRoot}/jest.preset.js' }] } } },
        { name: 'c', targets: { build: {} } },
      ],
      { shared: ['{projectRoot}/**/*', '{workspaceRoot}/.github/**/*.yml'] },
      ['.github/workflows/ci.yml', 'README.md'],
    );
    expect(touches.map((t) => t.project)).toEqual(['a']);
  });

  it('a plain path matches only itself, as micromatch would match it', () => {
    const changed = ['scripts/build.mjs', 'scripts/build.mjs.bak', 'x/scripts/build.mjs', '.github/ci.yml', 'a-b_c.1/d', 'scripts/test.mjs'];
    const patterns = ['scripts/build.mjs', '.github/ci.yml', 'a-b_c.1/d', 'scripts/*.mjs', './scripts/build.mjs', 'scripts/../x', '{a,b}.json'];
    for (const pattern of patterns) {
      const got = touchesFromRootPatterns([{ name: 'p', patterns: [pattern] }], changed).map((t) => (t.reason as { file: string }).file);
      expect(got, pattern).toEqual(micromatch(changed, pattern, { dot: true }));
    }
  });
});

describe('project level from data alone', () => {
  const view = {
    projects: projects.map((p) => ({ ...p, rootInputs: p.name === 'invoice' ? ['jest.preset.js'] : [] })),
    dependencies: graph.dependencies,
    external: new Map([['invoice', ['lodash']], ['payroll', ['express']]]),
    nxJson: { implicitDependencies: { 'tools/gen.json': ['conn-ext'] } },
  };
  const texts = (before: Record<string, string>, after: Record<string, string>): FileVersions => ({ hasBase: true, before: (p) => before[p], after: (p) => after[p] });

  it('reads only the workspace-wide files that changed, and every present lockfile when the root package.json did', () => {
    expect(workspaceFilesToRead(new Set(['yarn.lock', 'nx.json', 'src/a.ts']), () => true)).toEqual({ lockfiles: ['yarn.lock'], files: ['yarn.lock', 'nx.json'] });
    expect(workspaceFilesToRead(new Set(['package.json']), (f) => f === 'package-lock.json')).toEqual({ lockfiles: ['package-lock.json'], files: ['package-lock.json', 'package.json'] });
  });

  it('narrows the root package.json, nx.json implicitDependencies and {workspaceRoot} inputs, then closes over dependents', async () => {
    const pkg = (lodash: string) => JSON.stringify({ name: 'ws', dependencies: { lodash } });
    const level = await affectedProjects({
      graph: view,
      changes: [
        { status: 'modified', path: 'package.json' },
        { status: 'modified', path: 'tools/gen.json' },
        { status: 'modified', path: 'jest.preset.js' },
      ],
      global: [],
      versions: texts({ 'package.json': pkg('^4.0.0') }, { 'package.json': pkg('^4.1.0') }),
      lockfiles: [],
      tsconfigFile: 'tsconfig.base.json',
    });
    expect(level.closure.projects).toEqual(['conn-ext', 'invoice', 'root']);
    expect(level.reasons.invoice).toContainEqual({ kind: 'lockfile', package: 'lodash', file: 'package.json', via: [] });
    expect(level.reasons['conn-ext']).toEqual([{ kind: 'file', file: 'tools/gen.json', detail: 'nx.json implicitDependencies' }]);
    expect(level.global).toEqual([]);
  });

  it('without a base, a changed lockfile makes everything affected, and says why', async () => {
    const level = await affectedProjects({
      graph: view,
      changes: [{ status: 'modified', path: 'package-lock.json' }],
      global: [],
      versions: { hasBase: false, before: () => undefined, after: () => '{}' },
      lockfiles: ['package-lock.json'],
      tsconfigFile: 'tsconfig.base.json',
    });
    expect(level.closure.projects).toHaveLength(projects.length);
    expect(level.global).toEqual([{ kind: 'global', file: 'package-lock.json', detail: 'no base to compare the lockfile with' }]);
  });
});
