/**
 * kiln deletes only what it can prove it made: a cache directory that is the workspace, holds it,
 * or is someone else's folder is refused before anything is written or removed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from './helpers/repo.js';

/** A workspace whose tracked files under tmp/ and entries/ look like a cache's own, with `kiln` settings. */
function workspace(kiln: Record<string, unknown>): TempRepo {
  return createRepo({
    'package.json': { name: 'r', private: true, workspaces: ['p/*'] },
    'nx.json': { targetDefaults: { build: { cache: true, outputs: ['{projectRoot}/dist'] } }, kiln },
    '.gitignore': 'dist\n.kiln\n',
    'p/a/package.json': { name: 'a', scripts: { build: 'mkdir -p dist && echo A > dist/out.txt' } },
    'tmp/notes.txt': 'tracked\n',
    'tmp/data.1234.abcdef': 'tracked\n',
    'last/report.json': '{}\n',
  });
}

/** Nothing of the workspace was written or removed. */
function untouched(repo: TempRepo): void {
  expect(repo.git('status', '--porcelain')).toBe('');
  expect(readdirSync(repo.dir).sort()).toEqual(['.git', '.gitignore', '.kiln', 'last', 'nx.json', 'p', 'package.json', 'tmp']);
  expect(readdirSync(join(repo.dir, 'tmp')).sort()).toEqual(['data.1234.abcdef', 'notes.txt']);
}

describe('the cache directory', () => {
  let repo: TempRepo | undefined;
  afterEach(() => repo?.cleanup());

  // The setting's value is checked where nx.json is read (workspace/); the cache checks the folder itself again.
  for (const dir of ['.', '', './', '..']) {
    it(`refuses kiln.cacheDirectory ${JSON.stringify(dir)} and touches no file`, () => {
      repo = workspace({ cacheDirectory: dir });
      const r = repo.kiln(['run', '-t', 'build']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/nx\.json[:\d]*: .*kiln\.cacheDirectory/);
      expect(r.stderr).toMatch(dir === '..' ? /holds the workspace/ : /workspace root/);
      untouched(repo);
      const json = repo.kiln(['run', '-t', 'build', '--json']);
      expect(json.code).toBe(2);
      expect(json.json().error).toMatchObject({ code: 'invalid-config', file: 'nx.json', message: expect.stringContaining('kiln.cacheDirectory') });
    });
  }

  // A link is only seen for what it is on disk: by the cache's own check.
  for (const [link, to, says] of [['cache-link', '.', 'is the workspace root'], ['up-link', '..', 'holds the workspace']] as const) {
    it(`refuses a cache directory that is a link to ${to === '.' ? 'the workspace root' : 'a folder holding it'}`, () => {
      repo = workspace({ cacheDirectory: link });
      symlinkSync(to, join(repo.dir, link));
      const r = repo.kiln(['run', '-t', 'build', '--json']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.json().error).toMatchObject({ code: 'invalid-config', file: 'nx.json', message: `kiln.cacheDirectory ("${link}") ${says}: kiln would delete the workspace's own files as cache files.` });
      rmSync(join(repo.dir, link));
      untouched(repo);
    });
  }

  it('refuses a folder holding files kiln did not write, whatever the size limit', () => {
    repo = workspace({ cacheDirectory: 'shared', cacheMaxSize: 10 });
    const shared = join(repo.dir, 'shared');
    mkdirSync(join(shared, 'entries/photos'), { recursive: true });
    mkdirSync(join(shared, 'tmp'));
    writeFileSync(join(shared, 'README'), 'mine\n');
    writeFileSync(join(shared, 'tmp/draft.txt'), 'mine\n');
    writeFileSync(join(shared, 'entries/photos/meta.json'), `${'0'.repeat(64)}\n{"layout":2,"hash":"photos","size":500,"log":{},"files":[]}`);
    const r = repo.kiln(['run', '-t', 'build']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/nx\.json: kiln\.cacheDirectory \("shared"\) is a folder kiln did not make/);
    expect(readdirSync(shared).sort()).toEqual(['README', 'entries', 'tmp']);
    expect(readdirSync(join(shared, 'entries/photos'))).toEqual(['meta.json']);
    expect(readFileSync(join(shared, 'tmp/draft.txt'), 'utf8')).toBe('mine\n');
  });

  it('makes and marks a folder of its own, and uses an empty one', () => {
    repo = workspace({ cacheDirectory: 'build-cache', cacheMaxSize: 10 });
    mkdirSync(join(repo.dir, 'build-cache'));
    const first = repo.kiln(['run', '-t', 'build', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(join(repo.dir, 'build-cache/CACHEDIR.TAG'))).toBe(true);
    const second = repo.kiln(['run', '-t', 'build', '--json', '--skip-cache']);
    expect(second.code, second.stderr).toBe(0);
    expect(readdirSync(join(repo.dir, 'tmp')).sort()).toEqual(['data.1234.abcdef', 'notes.txt']);
  });
});
