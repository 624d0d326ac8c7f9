/**
 * turbo.json end to end: a real git repository configured by turbo.json alone (no nx.json), the
 * built kiln binary, real scripts. The order turbo's `dependsOn` gives, caching by default,
 * env and globalEnv in the hash (wildcards and `!`), package configurations, affected sets, and
 * located errors.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, type FileTree, type TempRepo } from './helpers/repo.js';

/** Each package's build concatenates its dependencies' dist/out.txt and its own src, so order shows. */
const buildScript = `
const fs = require('node:fs');
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const deps = Object.keys(pkg.dependencies ?? {});
const parts = deps.map((d) => fs.readFileSync('../' + d + '/dist/out.txt', 'utf8'));
fs.mkdirSync('dist', { recursive: true });
fs.writeFileSync('dist/out.txt', parts.join('') + fs.readFileSync('src/main.txt', 'utf8'));
console.log('built ' + pkg.name);
`;

function turboRepo(): FileTree {
  const pkg = (name: string, deps: string[], scripts: Record<string, string> = {}) => ({
    name,
    version: '1.0.0',
    scripts: { build: 'node ../../build.cjs', ...scripts },
    ...(deps.length > 0 && { dependencies: Object.fromEntries(deps.map((d) => [d, '*'])) }),
  });
  return {
    'package.json': { name: 'turbo-root', private: true, workspaces: ['packages/*'] },
    '.gitignore': 'node_modules\ndist\n.kiln\n',
    'build.cjs': buildScript,
    'turbo.json': {
      $schema: 'https://turborepo.com/schema.json',
      globalDependencies: ['build.cjs'],
      globalEnv: ['GLOBAL_FLAG'],
      tasks: {
        build: { dependsOn: ['^build'], inputs: ['$TURBO_DEFAULT$', '!README.md'], outputs: ['dist/**'], env: ['API_*', '!API_SECRET'] },
        check: { dependsOn: ['build'], cache: false },
        dev: { persistent: true, cache: false },
      },
    },
    'packages/a/package.json': pkg('a', []),
    'packages/a/src/main.txt': 'A\n',
    'packages/a/README.md': '# a\n',
    'packages/b/package.json': pkg('b', ['a'], { check: 'node -e "process.exit(0)"' }),
    'packages/b/src/main.txt': 'B\n',
    'packages/c/package.json': pkg('c', ['b']),
    'packages/c/src/main.txt': 'C\n',
    'packages/c/turbo.json': { extends: ['//'], tasks: { build: { outputs: ['$TURBO_EXTENDS$', 'extra/**'] } } },
    'packages/d/package.json': pkg('d', []),
    'packages/d/src/main.txt': 'D\n',
  };
}

type RunJson = { tasks: { id: string; status: string; cache: string }[] };
const byId = (j: RunJson) => Object.fromEntries(j.tasks.map((t) => [t.id, `${t.status}/${t.cache}`]));

describe('a turbo.json repository without nx.json', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = createRepo(turboRepo());
  });
  afterAll(() => repo.cleanup());

  it('runs build in ^build order, caches it by default, and restores deleted outputs', () => {
    const first = repo.kiln(['run', '-t', 'build', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(byId(first.json())).toEqual({ 'a:build': 'success/miss', 'b:build': 'success/miss', 'c:build': 'success/miss', 'd:build': 'success/miss' });
    expect(readFileSync(join(repo.dir, 'packages/c/dist/out.txt'), 'utf8')).toBe('A\nB\nC\n');
    rmSync(join(repo.dir, 'packages/c/dist'), { recursive: true });
    const second = repo.kiln(['run', '-t', 'build', '--json']);
    expect(byId(second.json())).toEqual({ 'a:build': 'success/local', 'b:build': 'success/local', 'c:build': 'success/local', 'd:build': 'success/local' });
    expect(readFileSync(join(repo.dir, 'packages/c/dist/out.txt'), 'utf8')).toBe('A\nB\nC\n');
  });

  it('a file left out of inputs does not miss; a change in a dependency reruns the dependents through their dependsOn', () => {
    repo.write({ 'packages/a/README.md': '# a, edited\n' });
    expect(byId(repo.kiln(['run', '-t', 'build', '--json']).json())['a:build']).toBe('success/local');
    repo.write({ 'packages/a/src/main.txt': 'A2\n' });
    const r = repo.kiln(['run', '-t', 'build', '--json']);
    expect(byId(r.json())).toEqual({ 'a:build': 'success/miss', 'b:build': 'success/miss', 'c:build': 'success/miss', 'd:build': 'success/local' });
    expect(readFileSync(join(repo.dir, 'packages/c/dist/out.txt'), 'utf8')).toBe('A2\nB\nC\n');
    repo.write({ 'packages/a/src/main.txt': 'A\n', 'packages/a/README.md': '# a\n' });
  });

  it('env and globalEnv are in the hash: wildcards count, `!` names and other variables do not', () => {
    const hash = (env: Record<string, string>) => {
      const r = repo.kiln(['hash', 'd:build', '--json'], { env });
      expect(r.code, r.stderr).toBe(0);
      return r.json<{ hash: string; inputs: { env: Record<string, string | null> } }>();
    };
    const plain = hash({});
    expect(Object.keys(plain.inputs.env)).toEqual(['API_*', 'GLOBAL_FLAG']);
    expect(hash({ UNRELATED: '1' }).hash).toBe(plain.hash);
    expect(hash({ API_SECRET: 's' }).hash).toBe(plain.hash);
    const withApi = hash({ API_URL: 'x' });
    // The wildcard's own entry records the names it matched.
    expect(Object.keys(withApi.inputs.env)).toEqual(['API_*', 'API_URL', 'GLOBAL_FLAG']);
    expect(withApi.hash).not.toBe(plain.hash);
    expect(hash({ API_URL: 'y' }).hash).not.toBe(withApi.hash);
    expect(hash({ GLOBAL_FLAG: '1' }).hash).not.toBe(plain.hash);
  });

  it('a package configuration extends the root: c caches dist/** and extra/**', () => {
    const graph = repo.kiln(['graph', '--json']).json<{ nodes: Record<string, { data: { targets: Record<string, { outputs: string[]; cache: boolean }> } }> }>();
    expect(graph.nodes.c!.data.targets.build!.outputs).toEqual(['{projectRoot}/dist/**', '{projectRoot}/extra/**']);
    expect(graph.nodes.b!.data.targets.check!.cache).toBe(false);
    expect(graph.nodes.a!.data.targets.build!.cache).toBe(true);
  });

  it('cache: false is never restored; packages without the script get a step that runs nothing but keeps the order', () => {
    const check = () => {
      const r = repo.kiln(['run', '-t', 'check', '--json']);
      expect(r.code, r.stderr).toBe(0);
      return byId(r.json());
    };
    expect(check()).toMatchObject({ 'a:check': 'success/miss', 'b:build': 'success/local', 'b:check': 'success/miss', 'c:check': 'success/miss' });
    expect(check()['b:check']).toBe('success/miss');
  });

  it('affected follows turbo: a package and its dependents; globalDependencies and a turbo.json change reach further', () => {
    const affected = (files: string) => repo.kiln(['affected', '--files', files, '--json']).json<{ projects: string[] }>().projects;
    expect(affected('packages/a/src/main.txt')).toEqual(['a', 'b', 'c']);
    expect(affected('build.cjs')).toEqual(['a', 'b', 'c', 'd']);
    expect(affected('README.md')).toEqual([]);
    // A turbo.json change touches the projects whose translated targets changed.
    repo.commit('base');
    repo.write({ 'packages/c/turbo.json': { extends: ['//'], tasks: { build: { outputs: ['out/**'] } } } });
    const r = repo.kiln(['affected', '--json'], { env: { GITHUB_BASE_REF: '' } }).json<{ projects: string[]; reasons: Record<string, { kind: string; file?: string }[]> }>();
    expect(r.projects).toEqual(['c']);
    expect(r.reasons.c).toContainEqual(expect.objectContaining({ kind: 'file', file: 'packages/c/turbo.json' }));
    repo.git('checkout', '--', '.');
  });

  it('the base is turbo`s: TURBO_SCM_BASE, then GITHUB_BASE_REF, before main; --base and KILN_BASE still first', () => {
    repo.git('branch', 'turbo-base');
    repo.commit('change d', { 'packages/d/src/main.txt': 'D2\n' });
    const base = (env: Record<string, string>, args: string[] = []) =>
      repo.kiln(['affected', '--json', ...args], { env: { GITHUB_BASE_REF: '', ...env } }).json<{ projects: string[] }>().projects;
    expect(base({ TURBO_SCM_BASE: 'turbo-base' })).toEqual(['d']);
    expect(base({ GITHUB_BASE_REF: 'turbo-base' })).toEqual(['d']);
    expect(base({ TURBO_SCM_BASE: 'HEAD' })).toEqual([]);
    expect(base({ TURBO_SCM_BASE: 'turbo-base', KILN_BASE: 'HEAD' })).toEqual([]);
    expect(base({ TURBO_SCM_BASE: 'turbo-base' }, ['--base', 'HEAD'])).toEqual([]);
  });
});

describe('turbo.json problems', () => {
  it('invalid JSON and unknown keys are located errors, exit 2; --json carries the first', () => {
    const repo = createRepo({ ...turboRepo(), 'turbo.json': '{\n  "tasks": {\n    "build": { "dependson": ["^build"] }\n  }\n}\n' });
    const r = repo.kiln(['projects']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('turbo.json:3:16: "tasks.build" has no key "dependson". Did you mean "dependsOn"?');
    repo.write({ 'turbo.json': '{ "tasks": { "build": { } }' });
    const j = repo.kiln(['affected', '--json', '--files', 'x']);
    expect(j.code).toBe(2);
    expect(j.json().error).toMatchObject({ code: 'invalid-json', file: 'turbo.json', line: 1 });
    repo.cleanup();
  });

  it('depending on a persistent task is refused where the entry is written', () => {
    const tree = turboRepo();
    (tree['turbo.json'] as { tasks: Record<string, object> }).tasks.build = { dependsOn: ['^build', 'dev'] };
    (tree['packages/a/package.json'] as { scripts: Record<string, string> }).scripts.dev = 'sleep 100';
    const repo = createRepo(tree);
    const r = repo.kiln(['run', '-t', 'build']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/turbo\.json:\d+:\d+: a#build depends on a#dev, a persistent task/);
    expect(existsSync(join(repo.dir, 'packages/a/dist'))).toBe(false);
    repo.cleanup();
  });

  it('with nx.json too, nx.json wins and turbo.json differences are a warning', () => {
    const repo = createRepo({ ...turboRepo(), 'nx.json': { targetDefaults: { build: { cache: true } } } });
    const r = repo.kiln(['projects', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('warning turbo.json:');
    expect(r.stderr).toContain('define "build" differently (dependsOn, outputs) in a, b, c and 1 more; nx.json is present, so kiln uses the Nx definition.');
    repo.cleanup();
  });
});
