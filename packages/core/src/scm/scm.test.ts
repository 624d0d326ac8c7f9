/** Edge tests: real git repositories in temp dirs. */
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from '../../../../test/helpers/repo.js';
import { changedFiles, fileAtRef, indexObjectIds, isShallow, listFiles, mergeBase, parseNameStatus, repoRoot, resolveCommit, revParseCommits } from './index.js';

let repo: TempRepo;
let dir: string;
const git = (...args: string[]) => repo.git(...args).trim();
const write = (path: string, content: string) => repo.write({ [path]: content });

beforeAll(() => {
  repo = createRepo({}, { commit: false });
  dir = repo.dir;
  write('.gitignore', 'dist/\n');
  write('ws/a/one.ts', 'export const one = 1;\n'.repeat(20));
  write('ws/b/two.ts', 'two\n');
  write('ws/b/gone.ts', 'gone\n');
  write('outside.txt', 'x\n');
  git('add', '-A');
  git('commit', '-qm', 'base');
  git('checkout', '-qb', 'feature');
  git('mv', 'ws/a/one.ts', 'ws/a/uno.ts');
  git('commit', '-qm', 'rename');
  unlinkSync(join(dir, 'ws/b/gone.ts'));
  write('ws/b/two.ts', 'two changed\n');
  write('ws/c/new.ts', 'untracked\n');
  write('ws/dist/ignored.js', 'ignored\n');
});
afterAll(() => repo.cleanup());

describe('scm', () => {
  it('finds the repository root and resolves refs', async () => {
    expect(await repoRoot(join(dir, 'ws'))).toBe(dir);
    expect(await resolveCommit(dir, 'main')).toMatch(/^[0-9a-f]{40}$/);
    expect(await resolveCommit(dir, 'no-such-branch')).toBeUndefined();
    expect(await mergeBase(dir, 'main', 'feature')).toBe(await resolveCommit(dir, 'main'));
    expect(await isShallow(dir)).toBe(false);
  });

  it('resolves the top and several refs with one rev-parse, and says when a ref names no commit', async () => {
    const answer = await revParseCommits(join(dir, 'ws'), ['HEAD', 'main']);
    expect(answer).toEqual({ top: dir, commits: [await resolveCommit(dir, 'HEAD'), await resolveCommit(dir, 'main')] });
    expect(await revParseCommits(dir, ['HEAD', 'no-such-branch'])).toBeUndefined();
  });

  it('lists committed, unstaged, deleted and untracked changes relative to a subdirectory', async () => {
    const changes = await changedFiles(join(dir, 'ws'), 'main');
    const sorted = [...changes].sort((a, b) => a.path.localeCompare(b.path));
    expect(sorted).toEqual([
      { status: 'renamed', path: 'a/uno.ts', from: 'a/one.ts' },
      { status: 'deleted', path: 'b/gone.ts' },
      { status: 'modified', path: 'b/two.ts' },
      { status: 'added', path: 'c/new.ts' },
    ]);
  });

  it('compares two commits without the working tree', async () => {
    expect(await changedFiles(dir, 'main', 'feature')).toEqual([{ status: 'renamed', path: 'ws/a/uno.ts', from: 'ws/a/one.ts' }]);
  });

  it('reads files at a ref, index ids and the file list', async () => {
    expect(await fileAtRef(join(dir, 'ws'), 'main', 'b/two.ts')).toBe('two\n');
    expect(await fileAtRef(dir, 'main', 'nope.ts')).toBeUndefined();
    const ids = await indexObjectIds(dir);
    expect(ids.get('ws/b/two.ts')).toBe(git('rev-parse', 'main:ws/b/two.ts'));
    const files = await listFiles(join(dir, 'ws'));
    expect(files).toContain('c/new.ts');
    expect(files).not.toContain('dist/ignored.js');
  });

  it('parses name-status output with renames and odd file names', () => {
    expect(parseNameStatus('M\0a b.ts\0R087\0old\tname\0new\nname\0D\0x\0')).toEqual([
      { status: 'modified', path: 'a b.ts' },
      { status: 'renamed', from: 'old\tname', path: 'new\nname' },
      { status: 'deleted', path: 'x' },
    ]);
  });
});
