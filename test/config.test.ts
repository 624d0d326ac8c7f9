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
