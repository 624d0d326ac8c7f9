/**
 * Regression tests from real repositories (issue 19), on fixtures built from their shapes:
 * .nxignore in the CLI's combined scan, configuration at --head rather than the work tree, Nx's
 * global packages (an Nx upgrade commit) and executor packages, and inert nx.json keys.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRepo, type FileTree, type TempRepo } from './helpers/repo.js';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});
const repoOf = (files: FileTree): TempRepo => {
  const r = createRepo(files);
  repos.push(r);
  return r;
};
const affected = (r: TempRepo, args: string[] = []) => {
  const run = r.kiln(['affected', '--base', 'main', '--json', ...args]);
  if (run.code !== 0) throw new Error(`kiln affected failed (${run.code}):\n${run.stderr}`);
  return run.json<{ projects: string[]; reasons: Record<string, { kind: string; detail?: string }[]>; warnings?: string[] }>();
};

const lock = (nx: string, angular: string) => ({
  name: 'ws',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': { name: 'ws', workspaces: ['libs/*', 'apps/*'], devDependencies: { nx: nx, '@nx/angular': angular } },
    'libs/a': { name: 'a', version: '1.0.0' },
    'libs/b': { name: 'b', version: '1.0.0', dependencies: { a: '*' } },
    'apps/web': { name: 'web', version: '1.0.0' },
    'node_modules/a': { resolved: 'libs/a', link: true },
    'node_modules/b': { resolved: 'libs/b', link: true },
    'node_modules/web': { resolved: 'apps/web', link: true },
    'node_modules/nx': { version: nx, integrity: `sha512-nx-${nx}`, dev: true },
    'node_modules/@nx/angular': { version: angular, integrity: `sha512-ng-${angular}`, dev: true },
  },
});

const nxWorkspace = (nx = '22.5.0', angular = '22.5.0'): FileTree => ({
  '.gitignore': 'node_modules\n.kiln\n',
  'package.json': { name: 'ws', private: true, workspaces: ['libs/*', 'apps/*'], devDependencies: { nx, '@nx/angular': angular } },
  'package-lock.json': lock(nx, angular),
  'nx.json': { analytics: false },
  'libs/a/package.json': { name: 'a', version: '1.0.0' },
  'libs/a/src/index.ts': 'export const a = 1;\n',
  'libs/b/package.json': { name: 'b', version: '1.0.0', dependencies: { a: '*' } },
  'libs/b/src/index.ts': "import { a } from 'a';\nexport const b = a;\n",
  'apps/web/package.json': { name: 'web', version: '1.0.0' },
  'apps/web/project.json': { name: 'web', targets: { build: { executor: '@nx/angular:application', options: { outputPath: 'dist/web' } } } },
  'apps/web/src/main.ts': 'console.log(1);\n',
});

describe('.nxignore in kiln graph and kiln affected', () => {
  it('a file it hides contributes no edge and affects no project', () => {
    const r = repoOf({ ...nxWorkspace(), '.nxignore': '**/*.spec.ts\n', 'apps/web/src/main.spec.ts': "import { b } from 'b';\n" });
    r.git('checkout', '-q', '-b', 'feature');
    const graph = r.kiln(['graph', '--json']).json<{ dependencies: Record<string, { target: string }[]> }>();
    expect(graph.dependencies.web).toEqual([]);
    r.write({ 'apps/web/src/main.spec.ts': "import { b } from 'b';\nimport { a } from 'a';\n" });
    expect(affected(r).projects).toEqual([]);
    // Warm (the saved graph state) and cold agree.
    expect(affected(r).projects).toEqual([]);
    r.write({ 'libs/a/src/index.ts': 'export const a = 2;\n' });
    expect(affected(r).projects).toEqual(['a', 'b']);
  });
});

describe('--head', () => {
  it('compares configuration at base with configuration at head: config changes made after the range are not blamed', () => {
    const r = repoOf(nxWorkspace());
    r.git('checkout', '-q', '-b', 'feature');
    const head = r.commit('a: a script', { 'libs/a/package.json': { name: 'a', version: '1.0.0', scripts: { lint: 'eslint .' } } });
    // After the range: b's and web's configuration change, committed and in the work tree.
    r.commit('b: a script', { 'libs/b/package.json': { name: 'b', version: '1.0.0', dependencies: { a: '*' }, scripts: { test: 'vitest' } } });
    r.write({ 'apps/web/project.json': { name: 'web', targets: { build: { executor: '@nx/angular:application', options: { outputPath: 'dist/other' } } } } });
    const out = affected(r, ['--head', head]);
    expect(out.projects).toEqual(['a', 'b']);
    expect(out.reasons.b).toEqual([{ kind: 'dependency', on: 'a' }]);
    // Without --head the work tree counts.
    expect(affected(r).projects).toEqual(['a', 'b', 'web']);
  });
});

describe("Nx's global packages", () => {
  it('an Nx upgrade commit affects every project, as in Nx', () => {
    const r = repoOf(nxWorkspace());
    r.git('checkout', '-q', '-b', 'upgrade');
    r.commit('chore: nx 22.6.1', { 'package.json': nxWorkspace('22.6.1')['package.json']!, 'package-lock.json': lock('22.6.1', '22.5.0') });
    const out = affected(r, ['--head', 'HEAD']);
    expect(out.projects).toEqual(['a', 'b', 'web']);
    expect(JSON.stringify(out.reasons.a)).toContain('nx changed');
  });

  it("a lockfile-only change of nx's version is global too", () => {
    const r = repoOf(nxWorkspace());
    r.git('checkout', '-q', '-b', 'upgrade');
    r.write({ 'package-lock.json': lock('22.5.1', '22.5.0') });
    expect(affected(r).projects).toEqual(['a', 'b', 'web']);
  });

  it("an executor's package is an external dependency of the targets that use it: its change affects exactly those", () => {
    const r = repoOf(nxWorkspace());
    r.git('checkout', '-q', '-b', 'upgrade');
    r.write({ 'package.json': nxWorkspace('22.5.0', '22.6.1')['package.json']!, 'package-lock.json': lock('22.5.0', '22.6.1') });
    const out = affected(r);
    expect(out.projects).toEqual(['web']);
    expect(out.reasons.web![0]).toMatchObject({ kind: 'lockfile', package: '@nx/angular' });
  });

  it('plugin packages named in nx.json are global', () => {
    const files = nxWorkspace();
    const r = repoOf({ ...files, 'nx.json': { analytics: false, plugins: [{ plugin: '@nx/angular/plugin', exclude: ['**'] }] } });
    r.git('checkout', '-q', '-b', 'upgrade');
    r.write({ 'package.json': nxWorkspace('22.5.0', '22.6.1')['package.json']!, 'package-lock.json': lock('22.5.0', '22.6.1') });
    const out = affected(r);
    expect(out.projects).toEqual(['a', 'b', 'web']);
  });
});

describe('nx.json', () => {
  it('an inert key (analytics, tui, cli) is no change of unknown reach', () => {
    const r = repoOf(nxWorkspace());
    r.git('checkout', '-q', '-b', 'feature');
    r.write({ 'nx.json': { analytics: true, tui: { enabled: false }, cli: { packageManager: 'npm' } } });
    expect(affected(r).projects).toEqual([]);
  });
});
