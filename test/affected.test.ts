/**
 * `kiln affected` end to end: real git repositories, the built binary, one rule per test.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRepo, git, removePaths, runKiln, tempDir, type FileTree, type TempRepo } from './helpers/repo.js';

const lock = (qs = '6.11.0', lodash = '4.17.21') => ({
  name: 'ws',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': { name: 'ws', workspaces: ['services/*'], devDependencies: { typescript: '^5.0.0' } },
    'services/connection': { name: '@svc/connection', version: '1.0.0' },
    'services/payroll': { name: '@svc/payroll', version: '1.0.0', dependencies: { '@svc/connection': '*' } },
    'services/invoice': { name: '@svc/invoice', version: '1.0.0', dependencies: { lodash: '^4.17.0' } },
    'services/catalog': { name: '@svc/catalog', version: '1.0.0', dependencies: { express: '^4.18.0' } },
    'node_modules/@svc/connection': { resolved: 'services/connection', link: true },
    'node_modules/@svc/payroll': { resolved: 'services/payroll', link: true },
    'node_modules/@svc/invoice': { resolved: 'services/invoice', link: true },
    'node_modules/@svc/catalog': { resolved: 'services/catalog', link: true },
    'node_modules/typescript': { version: '5.4.0', integrity: 'sha512-ts', dev: true },
    'node_modules/lodash': { version: lodash, integrity: `sha512-lodash-${lodash}` },
    'node_modules/express': { version: '4.18.2', integrity: 'sha512-express', dependencies: { qs: '^6.11.0' } },
    'node_modules/qs': { version: qs, integrity: `sha512-qs-${qs}` },
  },
});

const pkg = (name: string, deps: Record<string, string> = {}) => ({
  name,
  version: '1.0.0',
  main: 'src/index.ts',
  scripts: { build: 'tsc', test: 'vitest' },
  dependencies: deps,
});

const workspace: FileTree = {
  'package.json': { name: 'ws', private: true, workspaces: ['services/*'], devDependencies: { typescript: '^5.0.0' } },
  'package-lock.json': lock(),
  'nx.json': {
    namedInputs: { default: ['{projectRoot}/**/*'], production: ['default', '!{projectRoot}/**/*.spec.ts'] },
    targetDefaults: { build: { dependsOn: ['^build'], inputs: ['production', '^production'] }, test: { inputs: ['default', '^production'] } },
  },
  '.gitignore': 'node_modules\ndist\n',
  'README.md': '# ws\n',
  '.github/CODEOWNERS': '* @org/all\n/services/connection/ @org/conn\n',
  'services/connection/package.json': pkg('@svc/connection'),
  'services/connection/src/index.ts': "export * from './pool';\n",
  'services/connection/src/pool.ts': 'export const pool = 1;\n',
  'services/connection/src/pool.spec.ts': "import { pool } from './pool';\n",
  'services/payroll/package.json': pkg('@svc/payroll', { '@svc/connection': '*' }),
  'services/payroll/src/index.ts': "import { pool } from '@svc/connection';\nexport const pay = pool;\n",
  'services/invoice/package.json': pkg('@svc/invoice', { lodash: '^4.17.0' }),
  'services/invoice/src/index.ts': "import _ from 'lodash';\nexport const inv = _;\n",
  'services/catalog/package.json': pkg('@svc/catalog', { express: '^4.18.0' }),
  'services/catalog/src/index.ts': "import express from 'express';\nexport const app = express;\n",
};

const repos: TempRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});
function repo(files: FileTree = workspace): TempRepo {
  const r = createRepo(files);
  repos.push(r);
  return r;
}
const affectedJson = (r: TempRepo, args: string[] = [], env?: NodeJS.ProcessEnv) => {
  const run = r.kiln(['affected', '--json', ...args], env ? { env } : {});
  expect(run.code, run.stderr).toBe(0);
  return run.json<{ base: string; head: string | null; projects: string[]; reasons: Record<string, any[]>; owners?: Record<string, string[]>; tasks?: string[]; taskReasons?: Record<string, any[]>; chains?: Record<string, string> }>();
};

describe('kiln affected: files to projects', () => {
  it('a one-file change affects its project and, through the graph, its dependents', () => {
    const r = repo();
    r.write({ 'services/connection/src/pool.ts': 'export const pool = 2;\n' });
    const out = affectedJson(r);
    expect(out.base).toBe(r.git('rev-parse', 'HEAD').trim());
    expect(out.head).toBeNull();
    expect(out.projects).toEqual(['@svc/connection', '@svc/payroll']);
    expect(out.reasons['@svc/connection']).toEqual([{ kind: 'file', file: 'services/connection/src/pool.ts' }]);
    expect(out.reasons['@svc/payroll']).toEqual([{ kind: 'dependency', on: '@svc/connection' }]);
    expect(out.owners).toEqual({ '@svc/connection': ['@org/conn'], '@svc/payroll': ['@org/all'] });
    const explained = r.kiln(['affected', '--explain']);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain('@svc/payroll <- @svc/connection (dependency) <- services/connection/src/pool.ts (changed)');
  });

  it('the same answer and the same saved state when the import scan runs on worker threads', () => {
    const r = repo({
      ...workspace,
      // import-only edges (no package.json dependency): found only by scanning sources
      'services/invoice/src/uses.ts': "import { pool } from '@svc/connection/pool';\nexport const lazy = () => import('@svc/catalog');\n",
    });
    r.write({ 'services/connection/src/pool.ts': 'export const pool = 2;\n' });
    const state = () => readFileSync(join(r.dir, '.kiln/affected-state.json'), 'utf8');
    const single = affectedJson(r, [], { KILN_SCAN_THREADS: '1' });
    const singleState = state();
    rmSync(join(r.dir, '.kiln'), { recursive: true, force: true });
    const threaded = affectedJson(r, [], { KILN_SCAN_THREADS: '3' });
    expect(threaded.projects).toEqual(['@svc/connection', '@svc/invoice', '@svc/payroll']);
    expect(threaded).toEqual(single);
    expect(state()).toBe(singleState);
  });

  it('compares two commits with --base and --head, at their merge-base', () => {
    const r = repo();
    const main = r.git('rev-parse', 'HEAD').trim();
    r.git('checkout', '-q', '-b', 'feature');
    r.commit('invoice', { 'services/invoice/src/index.ts': 'export const inv = 2;\n' });
    const head = r.git('rev-parse', 'HEAD').trim();
    r.git('checkout', '-q', 'main');
    r.commit('main moves on', { 'services/catalog/src/index.ts': 'export const app = 3;\n' });
    const out = affectedJson(r, ['--base', 'main', '--head', 'feature']);
    expect(out).toMatchObject({ base: main, head, projects: ['@svc/invoice'] });
    // KILN_BASE and nx.json defaultBase name the base when --base is absent.
    r.git('checkout', '-q', 'feature');
    expect(affectedJson(r, [], { KILN_BASE: 'main' }).projects).toEqual(['@svc/invoice']);
  });

  it('a rename counts at both paths; a deletion and an untracked file count', () => {
    const r = repo();
    r.git('mv', 'services/invoice/src/index.ts', 'services/catalog/src/moved.ts');
    expect(affectedJson(r).projects).toEqual(['@svc/catalog', '@svc/invoice']);
    r.git('reset', '-q', '--hard');
    removePaths(r.dir, ['services/payroll/src/index.ts']);
    expect(affectedJson(r).reasons).toEqual({ '@svc/payroll': [{ kind: 'file', file: 'services/payroll/src/index.ts' }] });
    r.git('checkout', '-q', '--', '.');
    r.write({ 'services/invoice/src/new.ts': 'export {};\n' });
    expect(affectedJson(r).projects).toEqual(['@svc/invoice']);
    // --files takes the list directly.
    expect(affectedJson(r, ['--files', 'services/catalog/src/index.ts,README.md']).projects).toEqual(['@svc/catalog']);
  });

  it('works from a subdirectory, and for a workspace below the repository root', () => {
    const nested: FileTree = { 'other/README.md': 'not part of the workspace\n' };
    for (const [path, content] of Object.entries(workspace)) nested[`ws/${path}`] = content;
    const r = repo(nested);
    r.write({ 'ws/services/connection/src/pool.ts': 'export const pool = 9;\n', 'other/README.md': 'changed\n' });
    const run = r.kiln(['affected', '--json'], { cwd: join(r.dir, 'ws/services/payroll') });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().projects).toEqual(['@svc/connection', '@svc/payroll']);
    expect(run.json().reasons['@svc/connection']).toEqual([{ kind: 'file', file: 'services/connection/src/pool.ts' }]);
  });

  it('a deleted project config affects what it used to define', () => {
    const r = repo();
    removePaths(r.dir, ['services/connection/package.json']);
    const out = affectedJson(r);
    // payroll still declares @svc/connection, which no longer names a project.
    expect(out.projects).toContain('@svc/payroll');
    expect(out.reasons['@svc/payroll']).toContainEqual(expect.objectContaining({ kind: 'dependency', on: '@svc/connection' }));
  });
});

describe('kiln affected: workspace-wide files', () => {
  it('a lockfile change affects only the projects that reach the changed package', () => {
    const r = repo();
    r.write({ 'package-lock.json': lock('6.11.1') });
    const out = affectedJson(r);
    expect(out.projects).toEqual(['@svc/catalog']);
    expect(out.reasons['@svc/catalog']).toEqual([
      { kind: 'lockfile', package: 'qs', file: 'package-lock.json', via: ['express'], before: ['6.11.0'], after: ['6.11.1'] },
    ]);
    expect(r.kiln(['affected', '--explain']).stdout).toContain('@svc/catalog <- qs (external package in package-lock.json: 6.11.0 → 6.11.1, via express)');
  });

  it('a yarn.lock change is narrowed the same way', () => {
    const yarnLock = (qs: string) =>
      [
        '# yarn lockfile v1',
        '',
        'express@^4.18.0:',
        '  version "4.18.2"',
        '  integrity sha512-express',
        '  dependencies:',
        '    qs "^6.11.0"',
        '',
        'lodash@^4.17.0:',
        '  version "4.17.21"',
        '  integrity sha512-lodash',
        '',
        'qs@^6.11.0:',
        `  version "${qs}"`,
        `  integrity sha512-qs-${qs}`,
        '',
      ].join('\n');
    const { 'package-lock.json': _npm, ...rest } = workspace;
    const r = repo({ ...rest, 'yarn.lock': yarnLock('6.11.0') });
    r.write({ 'yarn.lock': yarnLock('6.11.1') });
    const out = affectedJson(r);
    expect(out.projects).toEqual(['@svc/catalog']);
    expect(out.reasons['@svc/catalog']).toEqual([
      { kind: 'lockfile', package: 'qs', file: 'yarn.lock', via: ['express'], before: ['6.11.0'], after: ['6.11.1'] },
    ]);
  });

  it('the root package.json is diffed field by field', () => {
    const r = repo();
    r.write({ 'package.json': { name: 'ws', private: true, workspaces: ['services/*'], description: 'now described', devDependencies: { typescript: '^5.4.0' } } });
    // typescript is used by no project directly: a range bump affects nothing; a description never does.
    expect(affectedJson(r).projects).toEqual([]);
    r.write({ 'package.json': { name: 'ws', private: true, workspaces: ['services/*'], devDependencies: { typescript: '^5.0.0' }, overrides: { lodash: '4.17.20' } } });
    expect(affectedJson(r).reasons).toEqual({ '@svc/invoice': [{ kind: 'lockfile', package: 'lodash', file: 'package.json', via: [] }] });
    r.write({ 'package.json': { name: 'ws', private: true, type: 'module', workspaces: ['services/*'], devDependencies: { typescript: '^5.0.0' } } });
    const all = affectedJson(r);
    expect(all.projects).toHaveLength(4);
    expect(all.reasons['@svc/invoice']).toEqual([{ kind: 'global', file: 'package.json', detail: '"type" changed and kiln cannot tell which projects it concerns' }]);
  });
});

describe('kiln affected -t: task level', () => {
  it('a spec-only change affects its test task but no build, not even the dependents\'', () => {
    const r = repo();
    r.write({ 'services/connection/src/pool.spec.ts': "import { pool } from './pool';\n// more\n" });
    const build = affectedJson(r, ['-t', 'build']);
    expect(build.projects).toEqual(['@svc/connection', '@svc/payroll']);
    expect(build.tasks).toEqual([]);
    expect(affectedJson(r, ['-t', 'test']).tasks).toEqual(['@svc/connection:test']);
    r.write({ 'services/connection/src/pool.ts': 'export const pool = 3;\n' });
    const again = affectedJson(r, ['-t', 'build']);
    expect(again.tasks).toEqual(['@svc/connection:build', '@svc/payroll:build']);
    expect(again.taskReasons!['@svc/payroll:build']).toContainEqual({ kind: 'dependency', on: '@svc/connection:build' });
  });

  it('an unknown target names the nearest one', () => {
    const r = repo();
    const run = r.kiln(['affected', '-t', 'biuld']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Did you mean "build"?');
  });
});

describe('kiln affected: when git cannot answer', () => {
  it('an unknown base ref is a clear error, exit 2; --fail-open marks everything', () => {
    const r = repo();
    const run = r.kiln(['affected', '--base', 'no-such-branch']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('"no-such-branch" does not name a commit');
    const open = r.kiln(['affected', '--base', 'no-such-branch', '--fail-open', '--json']);
    expect(open.code).toBe(0);
    expect(open.json().projects).toHaveLength(4);
    expect(open.stderr).toContain('--fail-open');
  });

  it('a shallow clone without the merge-base says how much to fetch', () => {
    const r = repo();
    r.git('checkout', '-q', '-b', 'feature');
    r.commit('one', { 'services/invoice/src/a.ts': '1\n' });
    r.commit('two', { 'services/invoice/src/b.ts': '2\n' });
    r.git('checkout', '-q', 'main');
    r.commit('main', { 'README.md': 'moved on\n' });
    const dir = tempDir('kiln-shallow-');
    try {
      git(dir, ['clone', '-q', '--depth', '1', '--no-single-branch', '-b', 'feature', `file://${r.dir}`, dir]);
      const run = runKiln(['affected', '--base', 'origin/main'], { cwd: dir });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('shallow clone');
      expect(run.stderr).toContain('fetch-depth: 0');
      // Fetching the history named in the message fixes it.
      git(dir, ['fetch', '-q', '--unshallow']);
      const fixed = runKiln(['affected', '--base', 'origin/main', '--json'], { cwd: dir });
      expect(fixed.code, fixed.stderr).toBe(0);
      expect(fixed.json().projects).toEqual(['@svc/invoice']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('outside a git repository: exit 2 unless --files or --fail-open', () => {
    const r = createRepo(workspace, { init: false });
    repos.push(r);
    const run = r.kiln(['affected']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('not inside a git repository');
    expect(r.kiln(['affected', '--json', '--files', 'services/connection/src/pool.ts']).json().projects).toEqual(['@svc/connection', '@svc/payroll']);
    expect(r.kiln(['affected', '--json', '--fail-open']).json().projects).toHaveLength(4);
    // Without a base, a lockfile cannot be compared: everything, and it says why.
    const lockOnly = r.kiln(['affected', '--json', '--files', 'package-lock.json']).json();
    expect(lockOnly.projects).toHaveLength(4);
    expect(lockOnly.reasons['@svc/invoice']).toEqual([{ kind: 'global', file: 'package-lock.json', detail: 'no base to compare the lockfile with' }]);
  });
});

describe('kiln affected: the saved graph state', () => {
  it('follows edits and commits, and always answers what a fresh run answers', () => {
    const r = repo();
    const fresh = (args: string[] = []) => {
      const saved = join(r.dir, '.kiln');
      rmSync(saved, { recursive: true, force: true });
      return affectedJson(r, args).projects;
    };
    const steps: (() => void)[] = [
      () => r.write({ 'services/connection/src/pool.ts': 'export const pool = 2;\n' }),
      // A new import edge, uncommitted: invoice now depends on connection.
      () => r.write({ 'services/invoice/src/extra.ts': "import { pool } from '@svc/connection';\n" }),
      () => r.commit('invoice uses connection'),
      () => r.write({ 'services/connection/src/pool.ts': 'export const pool = 5;\n' }),
      // The edge goes away again in the work tree.
      () => removePaths(r.dir, ['services/invoice/src/extra.ts']),
      () => r.commit('invoice no longer uses connection'),
      () => r.write({ 'services/connection/src/pool.ts': 'export const pool = 6;\n', 'services/catalog/src/x.ts': "import '@svc/payroll';\n" }),
      // Edits that import nothing new (the saved view moves on alone), then ones that do, then back.
      () => r.write({ 'services/catalog/src/x.ts': "import '@svc/payroll';\n// same imports\n", 'services/connection/src/pool.ts': 'export const pool = 7;\n' }),
      () => r.write({ 'services/catalog/src/x.ts': "import '@svc/invoice';\n" }),
      () => r.write({ 'services/connection/src/pool.ts': 'export const pool = 8;\n' }),
      () => r.write({ 'services/catalog/src/x.ts': "import '@svc/payroll';\n// same imports\n" }),
    ];
    const seen: string[][] = [];
    for (const [i, step] of steps.entries()) {
      step();
      const warm = affectedJson(r, ['--base', 'HEAD~0']).projects;
      expect(existsSync(join(r.dir, '.kiln/affected-state.json'))).toBe(true);
      expect(warm, `step ${i}`).toEqual(fresh(['--base', 'HEAD~0']));
      seen.push(warm);
      // Leave a saved state from a run with this step's changes, as a developer's machine would.
      affectedJson(r, ['--base', 'HEAD~0']);
    }
    expect(seen[3]).toEqual(['@svc/connection', '@svc/invoice', '@svc/payroll']);
    expect(seen[6]).toEqual(['@svc/catalog', '@svc/connection', '@svc/payroll']);
    expect(seen[7]).toEqual(['@svc/catalog', '@svc/connection', '@svc/payroll']);
    expect(seen[8]).toEqual(['@svc/catalog', '@svc/connection', '@svc/payroll']);
    expect(seen[10]).toEqual(['@svc/catalog', '@svc/connection', '@svc/payroll']);
    // kiln's own state never shows up as a change.
    expect(r.git('status', '--porcelain')).not.toContain('.kiln');
  });
});

describe('kiln affected: a workspace big enough to scan on worker threads', () => {
  it('finds the same import edges as a small one', () => {
    const files: FileTree = {
      'package.json': { name: 'big', private: true, workspaces: ['libs/*'] },
      'nx.json': {},
    };
    // 6 libraries of 350 files; each imports the previous one from one file somewhere in the middle.
    for (let i = 0; i < 6; i++) {
      files[`libs/l${i}/package.json`] = { name: `@big/l${i}`, version: '1.0.0' };
      for (let f = 0; f < 350; f++)
        files[`libs/l${i}/src/f${f}.ts`] = i > 0 && f === 175 ? `import { x } from '@big/l${i - 1}';\nexport const y = x;\n` : `export const x${f} = ${f};\n`;
    }
    const r = repo(files);
    r.write({ 'libs/l3/src/f3.ts': 'export const changed = 1;\n' });
    expect(affectedJson(r).projects).toEqual(['@big/l3', '@big/l4', '@big/l5']);
  });
});
