/** Edge tests: HEAD read from a real repository's files agrees with git, and anything unusual is left to git. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from '../../../../test/helpers/repo.js';
import { headCommitFromFiles, packedRef } from './head-file.js';
import { headAndParent } from './refs.js';

let repo: TempRepo;
const git = (...args: string[]) => repo.git(...args).trim();

beforeAll(() => {
  repo = createRepo({ 'a.txt': 'one\n' });
});
afterAll(() => repo.cleanup());

describe('headCommitFromFiles', () => {
  it('reads a branch from its loose ref, then from packed-refs, as git does', async () => {
    expect(headCommitFromFiles(repo.dir, {})).toBe(git('rev-parse', 'HEAD'));
    expect(await headAndParent(repo.dir)).toEqual([git('rev-parse', 'HEAD')]);
    repo.write({ 'a.txt': 'two\n' });
    git('commit', '-qam', 'second');
    git('pack-refs', '--all');
    expect(headCommitFromFiles(repo.dir, {})).toBe(git('rev-parse', 'HEAD'));
    expect(await headAndParent(repo.dir)).toEqual([git('rev-parse', 'HEAD'), git('rev-parse', 'HEAD^')]);
  });

  it('reads a detached HEAD', () => {
    git('checkout', '-q', '--detach', 'HEAD^');
    try {
      expect(headCommitFromFiles(repo.dir, {})).toBe(git('rev-parse', 'HEAD'));
    } finally {
      git('checkout', '-q', '-');
    }
  });

  it('leaves to git what it does not read: GIT_DIR, a .git file, a ref that leads out, no repository', () => {
    expect(headCommitFromFiles(repo.dir, { GIT_DIR: join(repo.dir, '.git') })).toBeUndefined();
    const linked = join(repo.dir, 'sub');
    mkdirSync(linked, { recursive: true });
    writeFileSync(join(linked, '.git'), `gitdir: ${join(repo.dir, '.git')}\n`);
    expect(headCommitFromFiles(linked, {})).toBeUndefined();
    rmSync(linked, { recursive: true });
    const fake = join(repo.dir, 'fake');
    mkdirSync(join(fake, '.git'), { recursive: true });
    writeFileSync(join(fake, '.git', 'HEAD'), 'ref: refs/../../a.txt\n');
    expect(headCommitFromFiles(fake, {})).toBeUndefined();
    writeFileSync(join(fake, '.git', 'HEAD'), 'ref: refs/heads/none\n');
    expect(headCommitFromFiles(fake, {})).toBeUndefined();
    expect(headCommitFromFiles(join(repo.dir, 'nowhere'), {})).toBeUndefined();
  });
});

describe('packedRef', () => {
  const id = 'a'.repeat(40);
  it('finds the line of a ref, past headers and peeled lines', () => {
    expect(packedRef(`# pack-refs with: peeled fully-peeled sorted \n${id} refs/heads/main\n^${'b'.repeat(40)}\n`, 'refs/heads/main')).toBe(id);
    expect(packedRef(`${id} refs/heads/main-2\n`, 'refs/heads/main')).toBeUndefined();
    expect(packedRef(`nothex refs/heads/main\n`, 'refs/heads/main')).toBeUndefined();
    expect(packedRef(undefined, 'refs/heads/main')).toBeUndefined();
  });
});
