/**
 * What a task's hash covers beyond its own files, end to end (`kiln hash`, `kiln why-miss`,
 * `kiln run`): the external packages of its dependencies and what they pull in, env values named
 * by a dependency's inputs, the declared range without a lockfile, and project-graph cycles.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRepo, type KilnRun, type TempRepo } from './helpers/repo.js';

interface Json {
  hash: string;
  inputs: { env: Record<string, unknown>; external: Record<string, string>; projectFiles: Record<string, string> };
}
interface RunJson {
  tasks: { id: string; status: string; cache: string }[];
}
const byId = (r: KilnRun) => Object.fromEntries(r.json<RunJson>().tasks.map((t) => [t.id, `${t.status}/${t.cache}`]));

const build = 'mkdir -p dist && cat src/*.txt > dist/out.txt';

/** a → b (workspace packages); b uses `left`, which pulls in `right`. */
function lockfile(rightVersion: string): object {
  return {
    name: 'root',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'root', workspaces: ['packages/*'] },
      'packages/a': { name: 'a', version: '1.0.0', dependencies: { b: '*' } },
      'packages/b': { name: 'b', version: '1.0.0', dependencies: { left: '^1.0.0' } },
      'node_modules/a': { resolved: 'packages/a', link: true },
      'node_modules/b': { resolved: 'packages/b', link: true },
      'node_modules/left': { version: '1.0.0', resolved: 'https://r/left-1.0.0.tgz', integrity: 'sha512-LEFT', dependencies: { right: '^2.0.0' } },
      'node_modules/right': { version: rightVersion, resolved: `https://r/right-${rightVersion}.tgz`, integrity: `sha512-RIGHT-${rightVersion}` },
    },
  };
}

describe('what a task hash covers', () => {
  let repo: TempRepo;
  afterEach(() => repo?.cleanup());
  const hash = (task: string, env: NodeJS.ProcessEnv = {}) => {
    const r = repo.kiln(['hash', task, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    return r.json<Json>();
  };

  it("covers a dependency's external packages, and everything a package pulls in", () => {
    repo = createRepo({
      'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
      'nx.json': { targetDefaults: { build: { cache: true, outputs: ['{projectRoot}/dist'] }, test: { cache: true } } },
      '.gitignore': 'dist\n.kiln\n',
      'package-lock.json': lockfile('2.0.0'),
      'packages/a/package.json': { name: 'a', version: '1.0.0', dependencies: { b: '*' }, scripts: { build, test: 'echo a' } },
      'packages/a/src/a.txt': 'A\n',
      'packages/b/package.json': { name: 'b', version: '1.0.0', dependencies: { left: '^1.0.0' }, scripts: { build, test: 'echo b' } },
      'packages/b/src/b.txt': 'B\n',
    });
    const a = hash('a:test');
    const b = hash('b:build');
    expect(b.inputs.external.left).toMatch(/^1\.0\.0 sha512-LEFT tree [0-9a-f]{16}$/);
    // `right` moves: b's own hash changes (left's tree), and so does a:test's, through `^default`.
    repo.commit('bump right', { 'package-lock.json': lockfile('2.1.0') });
    expect(hash('b:build').hash).not.toBe(b.hash);
    expect(hash('a:test').hash).not.toBe(a.hash);

    expect(repo.kiln(['run', '-t', 'test', '-p', 'a']).code).toBe(0);
    repo.commit('bump right again', { 'package-lock.json': lockfile('2.2.0') });
    const why = repo.kiln(['why-miss', 'a:test']);
    expect(why.stdout + why.stderr).toContain('^ inputs of dependency b changed');
  });

  it("names a dependency's env input in the task's own fingerprint", () => {
    repo = createRepo({
      'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
      'nx.json': {
        namedInputs: { production: ['default', { env: 'KILN_TEST_DEP_ENV' }] },
        targetDefaults: { test: { cache: true, inputs: ['default', '^production'] } },
      },
      '.gitignore': '.kiln\n',
      'packages/a/package.json': { name: 'a', version: '1.0.0', dependencies: { b: '*' }, scripts: { test: 'echo a' } },
      'packages/b/package.json': { name: 'b', version: '1.0.0', scripts: { test: 'echo b' } },
    });
    const one = hash('a:test', { KILN_TEST_DEP_ENV: '1' });
    expect(Object.keys(one.inputs.env)).toEqual(['KILN_TEST_DEP_ENV']);
    expect(hash('a:test', { KILN_TEST_DEP_ENV: '2' }).hash).not.toBe(one.hash);
    expect(repo.kiln(['run', '-t', 'test', '-p', 'a'], { env: { KILN_TEST_DEP_ENV: '1' } }).code).toBe(0);
    const why = repo.kiln(['why-miss', 'a:test'], { env: { KILN_TEST_DEP_ENV: '2' } });
    expect(why.stdout + why.stderr).toContain('env changed: KILN_TEST_DEP_ENV');
  });

  it('uses the declared range without a lockfile, committed or not', () => {
    repo = createRepo(
      {
        'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
        'nx.json': { targetDefaults: { build: { cache: true, inputs: ['{projectRoot}/src/**/*'], outputs: ['{projectRoot}/dist'] } } },
        '.gitignore': 'dist\n.kiln\n',
        'packages/a/package.json': { name: 'a', version: '1.0.0', dependencies: { left: '^1.0.0' }, scripts: { build } },
        'packages/a/src/a.txt': 'A\n',
      },
      { commit: false },
    );
    const before = hash('a:build');
    expect(before.inputs.external).toEqual({ left: '^1.0.0' });
    repo.git('add', '-A');
    repo.git('commit', '-qm', 'init');
    expect(hash('a:build').hash).toBe(before.hash);
    repo.commit('range', { 'packages/a/package.json': { name: 'a', version: '1.0.0', dependencies: { left: '^2.0.0' }, scripts: { build } } });
    const after = hash('a:build');
    expect(after.inputs.external).toEqual({ left: '^2.0.0' });
    expect(after.hash).not.toBe(before.hash);
  });

  it('gives the same hash outside git, where .gitignore still keeps ignored files out', () => {
    repo = createRepo({
      'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
      'nx.json': { targetDefaults: { build: { cache: true, outputs: ['{projectRoot}/out'] } } },
      '.gitignore': 'out\n.kiln\n',
      'packages/c/.gitignore': '*.log\n!keep.log\n',
      'packages/c/package.json': { name: 'c', version: '1.0.0', scripts: { build: 'mkdir -p out && cat src/*.txt > out/o.txt' } },
      'packages/c/src/c.txt': 'C\n',
      'packages/c/keep.log': 'kept\n',
    });
    expect(repo.kiln(['run', '-t', 'build']).code).toBe(0);
    writeFileSync(join(repo.dir, 'packages/c/debug.log'), 'noise\n');
    const inGit = hash('c:build');
    rmSync(join(repo.dir, '.git'), { recursive: true });
    const outside = hash('c:build');
    expect(Object.keys((outside.inputs as unknown as { files: Record<string, string> }).files).sort()).toEqual(['packages/c/.gitignore', 'packages/c/keep.log', 'packages/c/package.json', 'packages/c/src/c.txt']);
    expect(outside.hash).toBe(inGit.hash);
  });

  it('gives tasks in a project-graph cycle the same hash whichever tasks are asked for', () => {
    repo = createRepo({
      'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
      'nx.json': { targetDefaults: { build: { cache: true, outputs: ['{projectRoot}/dist'] } } },
      '.gitignore': 'dist\n.kiln\n',
      'packages/p/package.json': { name: 'p', version: '1.0.0', dependencies: { q: '*' }, scripts: { build } },
      'packages/p/src/p.txt': 'P\n',
      'packages/q/package.json': { name: 'q', version: '1.0.0', dependencies: { p: '*' }, scripts: { build } },
      'packages/q/src/q.txt': 'Q\n',
    });
    const all = repo.kiln(['run', '-t', 'build', '--json']);
    expect(all.code, all.stderr).toBe(0);
    const hashes = Object.fromEntries(all.json<{ tasks: { id: string; hash: string }[] }>().tasks.map((t) => [t.id, t.hash]));
    expect(hash('q:build').hash).toBe(hashes['q:build']);
    expect(hash('p:build').hash).toBe(hashes['p:build']);
    expect(byId(repo.kiln(['run', '-t', 'build', '-p', 'q', '--json']))).toEqual({ 'q:build': 'success/local' });
    // A change in p reaches q through the cycle.
    writeFileSync(join(repo.dir, 'packages/p/src/p.txt'), 'P2\n');
    expect(hash('q:build').hash).not.toBe(hashes['q:build']);
  });
});
