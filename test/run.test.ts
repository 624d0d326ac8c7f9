/**
 * `kiln run`, `kiln hash`, `kiln why-miss` end to end: a real git repository, the built binary,
 * real processes running package.json scripts and nx:run-commands targets.
 */
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, git, runKiln, tempDir, type TempRepo } from './helpers/repo.js';
import { sampleWorkspace } from './helpers/sample-workspace.js';

type Json = { tasks: { id: string; hash: string; status: string; cache: string; durationMs: number }[] };
const byId = (j: Json) => Object.fromEntries(j.tasks.map((t) => [t.id, `${t.status}/${t.cache}`]));

describe('kiln run', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = createRepo(sampleWorkspace());
  });
  afterAll(() => repo.cleanup());

  it('runs every build in dependency order, then restores everything from the cache', () => {
    const first = repo.kiln(['run', '-t', 'build', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(byId(first.json())).toEqual({ 'a:build': 'success/miss', 'b:build': 'success/miss', 'c:build': 'success/miss', 'd:build': 'success/miss', 'd:gen': 'success/miss' });
    expect(readFileSync(join(repo.dir, 'packages/b/dist/out.txt'), 'utf8')).toBe('B\nA\n');
    // The script ran with npm's environment, its output streamed with the task's name.
    expect(first.stderr).toContain('b:build built b via build');

    const second = repo.kiln(['run', '-t', 'build', '--json']);
    expect(second.code).toBe(0);
    expect(byId(second.json())).toEqual({ 'a:build': 'success/local', 'b:build': 'success/local', 'c:build': 'success/local', 'd:build': 'success/local', 'd:gen': 'success/local' });
    // The log is replayed on a hit.
    expect(second.stderr).toContain('b:build built b via build');
    expect(second.stderr).toContain('5 restored from cache');
    // Same hashes both times.
    expect(second.json<Json>().tasks.map((t) => t.hash)).toEqual(first.json<Json>().tasks.map((t) => t.hash));
  });

  it('brings deleted outputs back byte-identical', () => {
    const before = readFileSync(join(repo.dir, 'packages/b/dist/out.txt'));
    const gen = readFileSync(join(repo.dir, 'packages/d/gen/1.txt'));
    rmSync(join(repo.dir, 'packages/b/dist'), { recursive: true });
    rmSync(join(repo.dir, 'packages/d/gen'), { recursive: true });
    const r = repo.kiln(['run', '-t', 'build', '--json']);
    expect(byId(r.json())['b:build']).toBe('success/local');
    expect(readFileSync(join(repo.dir, 'packages/b/dist/out.txt')).equals(before)).toBe(true);
    expect(readFileSync(join(repo.dir, 'packages/d/gen/1.txt')).equals(gen)).toBe(true);
  });

  it('reruns a changed task and its dependents only, and why-miss names the file', () => {
    repo.write({ 'packages/a/src/a.txt': 'A2\n' });
    const why = repo.kiln(['why-miss', 'a:build', '--json']);
    expect(why.code).toBe(0);
    expect(why.json().changed).toEqual([{ kind: 'file', path: 'packages/a/src/a.txt', change: 'changed' }]);
    expect(why.json().previous).not.toBe(why.json().hash);
    const dependent = repo.kiln(['why-miss', 'b:build', '--json']).json();
    expect(dependent.changed.map((c: { kind: string; task?: string }) => `${c.kind}:${c.task ?? ''}`)).toContain('dependency:a:build');
    expect(dependent.dependencies['a:build']).toEqual([{ kind: 'file', path: 'packages/a/src/a.txt', change: 'changed' }]);

    const r = repo.kiln(['run', '-t', 'build', '--json']);
    expect(byId(r.json())).toEqual({ 'a:build': 'success/miss', 'b:build': 'success/miss', 'c:build': 'success/local', 'd:build': 'success/local', 'd:gen': 'success/local' });
    expect(readFileSync(join(repo.dir, 'packages/b/dist/out.txt'), 'utf8')).toBe('B\nA2\n');
    expect(repo.kiln(['why-miss', 'a:build', '--json']).json().changed).toEqual([]);

    // The rerun wrote its outputs in place over files restored as hard links: the earlier entry
    // must be untouched, so going back restores it, intact.
    repo.write({ 'packages/a/src/a.txt': 'A\n' });
    const back = repo.kiln(['run', '-t', 'build', '--json']);
    expect(byId(back.json())['a:build']).toBe('success/local');
    expect(byId(back.json())['b:build']).toBe('success/local');
    expect(back.stderr).not.toContain('corrupt');
    expect(readFileSync(join(repo.dir, 'packages/b/dist/out.txt'), 'utf8')).toBe('B\nA\n');
  });

  it('ignores files outside the inputs (a README excluded by production)', () => {
    repo.write({ 'packages/c/README.md': 'new docs\n' });
    const r = repo.kiln(['run', '-t', 'build', '-p', 'c', '--json']);
    expect(byId(r.json())).toEqual({ 'c:build': 'success/local' });
  });

  it('fails with exit 1 and never caches a failed task', () => {
    const r = repo.kiln(['b:test', '--json']);
    expect(r.code).toBe(1);
    expect(byId(r.json())).toEqual({ 'b:test': 'failure/miss' });
    const hash = r.json<Json>().tasks[0]!.hash;
    expect(existsSync(join(repo.dir, '.kiln/cache/entries', hash))).toBe(false);
    expect(byId(repo.kiln(['run', '-t', 'test', '-p', 'b', '--json']).json())).toEqual({ 'b:test': 'failure/miss' });
  });

  it('gives the same hash in a clone in another directory', () => {
    repo.commit('all of it');
    const h = repo.kiln(['hash', 'b:build', '--json']);
    expect(h.code).toBe(0);
    expect(Object.keys(h.json().inputs.files)).toEqual(['packages/b/package.json', 'packages/b/src/b.txt']);
    const other = tempDir('kiln-clone-');
    try {
      git(other, ['clone', '-q', repo.dir, join(other, 'w')]);
      const cloned = runKiln(['hash', 'b:build', '--json'], { cwd: join(other, 'w') });
      expect(cloned.json().hash).toBe(h.json().hash);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('runs only affected projects with --affected', () => {
    repo.write({ 'packages/c/src/c.txt': 'C2\n' });
    const r = repo.kiln(['run', '-t', 'build', '--affected', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(byId(r.json())).toEqual({ 'c:build': 'success/miss' });
  });

  it('names the nearest project or target when one does not exist, with exit 2', () => {
    const p = repo.kiln(['run', '-t', 'build', '-p', 'bb']);
    expect(p.code).toBe(2);
    expect(p.stderr).toContain('Did you mean "b"?');
    const t = repo.kiln(['a:biuld']);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('Did you mean "build"?');
  });

  it('reports a dependsOn cycle with the whole loop', () => {
    const cyc = createRepo({
      'package.json': { name: 'r', private: true, workspaces: ['p/*'] },
      'nx.json': {},
      'p/x/package.json': { name: 'x', scripts: { build: 'true', lint: 'true' }, nx: { targets: { build: { dependsOn: ['lint'] }, lint: { dependsOn: ['y:build'] } } } },
      'p/y/package.json': { name: 'y', scripts: { build: 'true' }, nx: { targets: { build: { dependsOn: ['x:build'] } } } },
    });
    try {
      const r = cyc.kiln(['run', '-t', 'build', '-p', 'x']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('x:build → x:lint → y:build → x:build');
    } finally {
      cyc.cleanup();
    }
  });
});

describe('kiln run with nothing cached', () => {
  it('leaves .kiln/cache/tmp empty after a run', () => {
    const repo = createRepo(sampleWorkspace());
    try {
      expect(repo.kiln(['run', '-t', 'build']).code).toBe(0);
      expect(readdirSync(join(repo.dir, '.kiln/cache/tmp'))).toEqual([]);
    } finally {
      repo.cleanup();
    }
  });
});

describe('kiln run outside git', () => {
  it('hashes files by content and still restores from the cache', () => {
    const repo = createRepo(sampleWorkspace(), { init: false });
    try {
      const first = repo.kiln(['run', '-t', 'build', '-p', 'a', '--json']);
      expect(first.code, first.stderr).toBe(0);
      expect(byId(first.json())).toEqual({ 'a:build': 'success/miss' });
      expect(byId(repo.kiln(['run', '-t', 'build', '-p', 'a', '--json']).json())).toEqual({ 'a:build': 'success/local' });
      repo.write({ 'packages/a/src/a.txt': 'A3\n' });
      expect(byId(repo.kiln(['run', '-t', 'build', '-p', 'a', '--json']).json())).toEqual({ 'a:build': 'success/miss' });
    } finally {
      repo.cleanup();
    }
  });
});

describe('external dependencies', () => {
  it('hash the version the lockfile pins, and why-miss names a bump', () => {
    const lock = (v: string) => ({
      name: 'root',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'root', workspaces: ['packages/*'] },
        'node_modules/a': { resolved: 'packages/a', link: true },
        'node_modules/lodash': { version: v, resolved: `https://registry.npmjs.org/lodash/-/lodash-${v}.tgz`, integrity: `sha512-${v}` },
        'packages/a': { name: 'a', version: '1.0.0', dependencies: { lodash: '^4.17.0' } },
      },
    });
    const repo = createRepo({
      'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
      'package-lock.json': lock('4.17.20'),
      'nx.json': { targetDefaults: { build: { cache: true } } },
      '.gitignore': '.kiln\n',
      'packages/a/package.json': { name: 'a', version: '1.0.0', dependencies: { lodash: '^4.17.0' }, scripts: { build: 'echo ok' } },
    });
    try {
      expect(repo.kiln(['hash', 'a:build', '--json']).json().inputs.external).toEqual({ lodash: '4.17.20 sha512-4.17.20' });
      expect(repo.kiln(['a:build']).code).toBe(0);
      repo.write({ 'package-lock.json': lock('4.17.21') });
      const why = repo.kiln(['why-miss', 'a:build', '--json']).json();
      expect(why.changed).toEqual([{ kind: 'external', package: 'lodash', change: 'changed', previous: '4.17.20 sha512-4.17.20', current: '4.17.21 sha512-4.17.21' }]);
    } finally {
      repo.cleanup();
    }
  });
});

describe('a root project', () => {
  it('does not take kiln\'s own .kiln directory as an input', () => {
    const repo = createRepo({
      'project.json': { name: 'solo', targets: { build: { command: 'mkdir -p out && cp src.txt out/', cache: true, outputs: ['{projectRoot}/out'] } } },
      'nx.json': {},
      '.gitignore': 'out\n',
      'src.txt': 'x\n',
    });
    try {
      expect(byId(repo.kiln(['run', '-t', 'build', '--json']).json())).toEqual({ 'solo:build': 'success/miss' });
      expect(byId(repo.kiln(['run', '-t', 'build', '--json']).json())).toEqual({ 'solo:build': 'success/local' });
    } finally {
      repo.cleanup();
    }
  });
});

describe('outputs that are symbolic links', () => {
  it('are stored as links (to files or folders, never followed) and come back pointing where they did', () => {
    const repo = createRepo({
      'package.json': { name: 'root', private: true },
      'nx.json': {},
      '.gitignore': 'dist\n.kiln\n',
      'packages/e/src.txt': 'e\n',
      'packages/e/project.json': {
        name: 'e',
        targets: {
          build: {
            cache: true,
            outputs: ['{projectRoot}/dist'],
            command: 'mkdir -p packages/e/dist/sub && cp packages/e/src.txt packages/e/dist/out.txt && echo in > packages/e/dist/sub/in.txt && ln -sf out.txt packages/e/dist/link.txt && ln -sfn sub packages/e/dist/sublink',
          },
        },
      },
    });
    try {
      const dist = join(repo.dir, 'packages/e/dist');
      const first = repo.kiln(['run', '-t', 'build', '--json']);
      expect(first.code, first.stderr).toBe(0);
      expect(byId(first.json())).toEqual({ 'e:build': 'success/miss' });
      const hash = first.json<Json>().tasks[0]!.hash;
      const meta = readFileSync(join(repo.dir, '.kiln/cache/entries', hash, 'meta.json'), 'utf8');
      const files = (JSON.parse(meta.slice(meta.indexOf('\n') + 1)) as { files: { path: string; link?: string }[] }).files;
      // The links themselves, never what is behind the folder link, and no folders.
      expect(files.map((f) => [f.path, f.link ?? null])).toEqual([
        ['packages/e/dist/link.txt', 'out.txt'],
        ['packages/e/dist/out.txt', null],
        ['packages/e/dist/sub/in.txt', null],
        ['packages/e/dist/sublink', 'sub'],
      ]);
      rmSync(dist, { recursive: true });
      const restored = repo.kiln(['run', '-t', 'build', '--json'], { env: { KILN_TRACE: '1' } });
      expect(restored.code, restored.stderr).toBe(0);
      expect(byId(restored.json())).toEqual({ 'e:build': 'success/local' });
      expect(lstatSync(join(dist, 'link.txt')).isSymbolicLink()).toBe(true);
      expect(readlinkSync(join(dist, 'link.txt'))).toBe('out.txt');
      expect(readFileSync(join(dist, 'link.txt'), 'utf8')).toBe('e\n');
      expect(lstatSync(join(dist, 'sublink')).isSymbolicLink()).toBe(true);
      expect(readlinkSync(join(dist, 'sublink'))).toBe('sub');
      expect(readFileSync(join(dist, 'sublink/in.txt'), 'utf8')).toBe('in\n');
      // No run manifest vouches for links (the normal path writes them again every time).
      for (let i = 0; i < 2; i++) {
        const again = repo.kiln(['run', '-t', 'build', '--json'], { env: { KILN_TRACE: '1' } });
        expect(again.stderr).toContain('kiln trace: fast path not taken');
        expect(byId(again.json())).toEqual({ 'e:build': 'success/local' });
      }
      expect(existsSync(join(repo.dir, '.kiln/run')) ? readdirSync(join(repo.dir, '.kiln/run')) : []).toEqual([]);
    } finally {
      repo.cleanup();
    }
  });
});

describe('a package.json with a byte-order mark and comments', () => {
  it('runs its scripts, as the workspace reads it (it crashed with exit 70)', () => {
    const repo = createRepo({
      'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
      'nx.json': { targetDefaults: { build: { cache: true } } },
      'packages/a/package.json': '\ufeff{\n  "name": "a",\n  // the build\n  "scripts": { "build": "echo built-a" }\n}\n',
    });
    try {
      const r = repo.kiln(['run', '-t', 'build', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(byId(r.json())).toEqual({ 'a:build': 'success/miss' });
      expect(r.stderr).toContain('a:build built-a');
    } finally {
      repo.cleanup();
    }
  });
});
