/**
 * Configuration end to end: kiln's own settings under nx.json "kiln", and the one JSON policy
 * every config file is read with. The real binary, a real git repository.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRepo, type FileTree, type TempRepo } from './helpers/repo.js';

/** A workspace with one package `a` whose `build` script writes a file; `nxJson` is written as given. */
function workspace(nxJson: string, extra: FileTree = {}): FileTree {
  return {
    'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
    'nx.json': nxJson,
    '.gitignore': '.kiln\nout.txt\n',
    'packages/a/package.json': { name: 'a', version: '1.0.0', scripts: { build: 'echo built > out.txt' } },
    'tmp/keep.txt': 'a tracked file the cache must never touch\n',
    ...extra,
  };
}

function withRepo(files: FileTree, body: (repo: TempRepo) => void): void {
  const repo = createRepo(files);
  try {
    body(repo);
  } finally {
    repo.cleanup();
  }
}

describe('nx.json "kiln": wrong values are exit-2 errors at nx.json:line:column', () => {
  it('a cacheMaxSize that is not a size', () => {
    withRepo(workspace('{\n  "kiln": {\n    "cacheMaxSize": "lots"\n  }\n}\n'), (repo) => {
      const r = repo.kiln(['run', '-t', 'build']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('nx.json:3:5: "kiln.cacheMaxSize" must be a number of bytes or a size like "5GB" or "500MB", not "lots"');
      expect(existsSync(join(repo.dir, 'packages/a/out.txt'))).toBe(false);
    });
  });

  it('a cacheMaxSize of 0 or less, once silently replaced by the default', () => {
    withRepo(workspace('{ "kiln": { "cacheMaxSize": -1 } }'), (repo) => {
      const r = repo.kiln(['run', '-t', 'build']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('nx.json:1:13: "kiln.cacheMaxSize" must be more than 0 bytes, not -1');
    });
  });

  it('a cacheDirectory that is the workspace root is refused before anything is run or deleted', () => {
    withRepo(workspace('{\n  "kiln": { "cacheDirectory": "." }\n}\n'), (repo) => {
      const r = repo.kiln(['run', '-t', 'build']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('nx.json:2:13: "kiln.cacheDirectory" is ".", which is the workspace root');
      expect(existsSync(join(repo.dir, 'tmp/keep.txt'))).toBe(true);
    });
  });

  it('a cacheDirectory that is not a string, once ignored', () => {
    withRepo(workspace('{ "kiln": { "cacheDirectory": ["/tmp/x"] } }'), (repo) => {
      const r = repo.kiln(['projects']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('nx.json:1:13: "kiln.cacheDirectory" must be a string, not an array');
    });
  });
});

describe('one JSON policy for every file kiln reads', () => {
  const scripts = '"scripts": { "build": "echo built > out.txt" }';

  it('a package.json starting with a byte order mark runs its scripts (kiln run crashed with exit 70)', () => {
    withRepo(workspace('{}', { 'packages/a/package.json': `\ufeff{ "name": "a", ${scripts} }\n` }), (repo) => {
      const r = repo.kiln(['run', '-t', 'build', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json().tasks.map((t: { id: string; status: string }) => `${t.id} ${t.status}`)).toEqual(['a:build success']);
      expect(existsSync(join(repo.dir, 'packages/a/out.txt'))).toBe(true);
    });
  });

  it('a package.json with comments and a trailing comma runs its scripts, as Nx reads it', () => {
    withRepo(workspace('{}', { 'packages/a/package.json': `{\n  // the package\n  "name": "a",\n  ${scripts}, /* trailing */\n}\n` }), (repo) => {
      const r = repo.kiln(['run', '-t', 'build', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(repo.dir, 'packages/a/out.txt'))).toBe(true);
      expect(repo.kiln(['projects', '--json']).json().map((p: { name: string }) => p.name)).toEqual(['a']);
    });
  });

  it('a key written twice in nx.json is an exit-2 error at the repeat, not a silent last-wins', () => {
    const nx = '{\n  "targetDefaults": { "build": { "cache": true } },\n  "namedInputs": {},\n  "targetDefaults": {}\n}\n';
    withRepo(workspace(nx), (repo) => {
      for (const args of [['projects'], ['run', '-t', 'build']]) {
        const r = repo.kiln(args);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain('nx.json:4:3: "targetDefaults" is written twice in one object (also at line 2, column 3)');
      }
    });
  });

  it('a key written twice in a package.json or project.json is an exit-2 error too', () => {
    const files = workspace('{}', {
      'packages/a/package.json': `{ "name": "a", ${scripts}, "name": "b" }`,
      'libs/c/project.json': '{\n  "name": "c",\n  "targets": { "build": { "command": "true" }, "build": { "command": "false" } }\n}\n',
    });
    withRepo(files, (repo) => {
      const r = repo.kiln(['projects']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('packages/a/package.json:1:64: "name" is written twice');
      expect(r.stderr).toContain('libs/c/project.json:3:48: "build" is written twice');
    });
  });

  it('a root package.json with a byte order mark is still the workspace root, from a package folder without nx.json', () => {
    const files = workspace('{}', { 'package.json': '\ufeff{ "name": "root", "private": true, "workspaces": ["packages/*"] }', 'packages/b/package.json': { name: 'b' } });
    delete files['nx.json'];
    withRepo(files, (repo) => {
      const r = repo.kiln(['projects', '--json'], { cwd: join(repo.dir, 'packages/a') });
      expect(r.code, r.stderr).toBe(0);
      expect(r.json().map((p: { name: string }) => p.name)).toEqual(['a', 'b']);
    });
  });
});

describe('dependsOn naming a target the project does not have', () => {
  it('written in the project: an exit-2 error at the entry (it was skipped, and the build ran without the step)', () => {
    const pkg = '{\n  "name": "a",\n  "scripts": { "generate": "echo gen > gen.txt", "build": "echo built > out.txt" },\n  "nx": { "targets": { "build": { "dependsOn": ["genrate"] } } }\n}\n';
    withRepo(workspace('{}', { 'packages/a/package.json': pkg }), (repo) => {
      const r = repo.kiln(['run', '-t', 'build']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('packages/a/package.json:4:49: "nx.targets.build.dependsOn[0]" names "genrate", but project "a" has no such target. Did you mean "generate"?');
      expect(existsSync(join(repo.dir, 'packages/a/out.txt'))).toBe(false);
    });
  });

  it('from nx.json targetDefaults: optional, as in Nx (only some projects have the target)', () => {
    const nx = '{ "targetDefaults": { "build": { "dependsOn": ["generate"] } } }';
    withRepo(workspace(nx), (repo) => {
      const r = repo.kiln(['run', '-t', 'build', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json().tasks.map((t: { id: string }) => t.id)).toEqual(['a:build']);
    });
  });
});
