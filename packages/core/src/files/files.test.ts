import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWorkspaceFiles, StatCache } from './index.js';

let dir: string;
const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
const write = (p: string, c: string) => {
  mkdirSync(join(dir, p, '..'), { recursive: true });
  writeFileSync(join(dir, p), c);
};

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-files-')));
  git('init', '-q', '-b', 'main');
  write('.gitignore', 'ignored/\n');
  write('a/clean.txt', 'clean\n');
  write('a/modified.txt', 'before\n');
  write('a/deleted.txt', 'gone soon\n');
  git('add', '-A');
  git('commit', '-qm', 'init');
  write('a/modified.txt', 'after\n');
  write('a/untracked.txt', 'new\n');
  write('ignored/x.txt', 'ignored\n');
  rmSync(join(dir, 'a/deleted.txt'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readWorkspaceFiles', () => {
  it('lists tracked and untracked files, not ignored or deleted ones, with git blob ids', async () => {
    const stats = await StatCache.load(join(dir, '.kiln/file-digests'));
    const wf = await readWorkspaceFiles(dir, stats);
    expect(wf.files).toEqual(['.gitignore', 'a/clean.txt', 'a/modified.txt', 'a/untracked.txt']);
    for (const f of ['a/clean.txt', 'a/modified.txt', 'a/untracked.txt']) {
      const expected = execFileSync('git', ['hash-object', f], { cwd: dir, encoding: 'utf8' }).trim();
      expect(wf.digestSync(f)).toBe(expected);
    }
    // Clean files come from the index without reading; dirty ones are not "known" before hashing.
    expect(wf.known('a/clean.txt')).toBeDefined();
    expect(wf.known('a/modified.txt')).toBeUndefined();
    await stats.save();
    const again = await StatCache.load(join(dir, '.kiln/file-digests'));
    const second = await readWorkspaceFiles(dir, again);
    expect(second.digestSync('a/modified.txt')).toBe(wf.digestSync('a/modified.txt'));
  });

  it('sees a change to a file the stat cache already knows', async () => {
    const stats = await StatCache.load(join(dir, '.kiln/file-digests'));
    write('a/untracked.txt', 'changed, and longer\n');
    const wf = await readWorkspaceFiles(dir, stats);
    expect(wf.digestSync('a/untracked.txt')).toBe(execFileSync('git', ['hash-object', 'a/untracked.txt'], { cwd: dir, encoding: 'utf8' }).trim());
  });
});
