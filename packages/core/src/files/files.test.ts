import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from '../../../../test/helpers/repo.js';
import { readWorkspaceFiles, StatCache } from './index.js';

let repo: TempRepo;
let dir: string;
const git = (...args: string[]) => repo.git(...args);
const write = (p: string, c: string) => repo.write({ [p]: c });

beforeAll(() => {
  repo = createRepo({}, { commit: false });
  dir = repo.dir;
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
afterAll(() => repo.cleanup());

describe('readWorkspaceFiles', () => {
  it('lists tracked and untracked files, not ignored or deleted ones, with git blob ids', async () => {
    const stats = await StatCache.load(join(dir, '.kiln/file-digests'));
    const wf = await readWorkspaceFiles(dir, stats);
    expect(wf.files).toEqual(['.gitignore', 'a/clean.txt', 'a/modified.txt', 'a/untracked.txt']);
    for (const f of ['a/clean.txt', 'a/modified.txt', 'a/untracked.txt']) {
      const expected = git('hash-object', f).trim();
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
    expect(wf.digestSync('a/untracked.txt')).toBe(git('hash-object', 'a/untracked.txt').trim());
  });
});
