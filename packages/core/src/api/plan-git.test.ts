/**
 * Edge tests for the plan's git facts: the changes since HEAD read from the work-tree snapshot's
 * status must be exactly those a `git status` of their own gives (`workingTreeChanges`), from the
 * top and from a workspace below it; the index listed once must give what `ls-files --cached`
 * lists; and `.kiln` is made only once a snapshot started without it has answered.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from '../../../../test/helpers/repo.js';
import { workTreeSnapshot, type WorkTreeSnapshot } from '../files/index.js';
import { trackedFiles, workingTreeChanges } from '../scm/index.js';
import { changesSinceHead, startPlanGit } from './plan-git.js';

let repo: TempRepo;
let dir: string;
const git = (...args: string[]) => repo.git(...args).trim();
const write = (path: string, content: string) => repo.write({ [path]: content });

/** Both ways agree, from the top and from `ws/`; returns the top's changes. */
async function agreed(label: string): Promise<string[]> {
  const head = git('rev-parse', 'HEAD');
  for (const root of [dir, join(dir, 'ws')]) {
    const planGit = startPlanGit(root);
    expect(await changesSinceHead(root, planGit, head), `${label} (${root})`).toEqual(await workingTreeChanges(root, head));
  }
  return (await changesSinceHead(dir, startPlanGit(dir), head)).map((c) => `${c.status} ${c.path}`);
}

function reset(): void {
  git('reset', '-q', '--hard', 'HEAD');
  git('clean', '-fdq', '-e', '.kiln');
}

beforeAll(() => {
  repo = createRepo({}, { commit: false });
  dir = repo.dir;
  write('.gitignore', 'dist/\n.kiln/\n');
  for (const f of ['ws/a/one.ts', 'ws/a/two.ts', 'ws/b/three.ts', 'top.txt', 'other/four.txt']) write(f, `${f}\n`);
  git('add', '-A');
  git('commit', '-qm', 'base');
});
afterAll(() => repo.cleanup());

describe('the plan asks git once', () => {
  it('reads the changes since HEAD from the snapshot: clean, edited, staged, deleted, renamed, untracked', async () => {
    reset();
    expect(await agreed('clean')).toEqual([]);
    write('ws/a/one.ts', 'edited\n');
    write('ws/b/three.ts', 'staged\n');
    git('add', 'ws/b/three.ts');
    // Staged, then changed back in the work tree: git must be asked whether it differs from HEAD at all.
    write('top.txt', 'staged then reverted\n');
    git('add', 'top.txt');
    write('top.txt', 'top.txt\n');
    rmSync(join(dir, 'other/four.txt'));
    renameSync(join(dir, 'ws/a/two.ts'), join(dir, 'ws/a/zwei.ts'));
    write('ws/new/dir/x.ts', 'untracked in a new folder\n');
    write('ws/new/dist/out.js', 'ignored\n');
    write('ws/loose.ts', 'untracked\n');
    const found = await agreed('dirty');
    expect(found).toEqual(
      expect.arrayContaining([
        'modified ws/a/one.ts',
        'modified ws/b/three.ts',
        'deleted other/four.txt',
        'deleted ws/a/two.ts',
        'added ws/a/zwei.ts',
        'added ws/new/dir/x.ts',
        'added ws/loose.ts',
      ]),
    );
    expect(found.some((c) => c.includes('top.txt') || c.includes('dist'))).toBe(false);
    git('add', '-A');
    await agreed('everything staged');
  });

  it('asks git itself when the index holds a submodule (the snapshot leaves them out)', async () => {
    reset();
    const head = git('rev-parse', 'HEAD');
    git('update-index', '--add', '--cacheinfo', `160000,${head},ws/sub`);
    const planGit = startPlanGit(dir);
    expect((await planGit.index).gitlinks).toBe(true);
    expect(await changesSinceHead(dir, planGit, head)).toEqual(await workingTreeChanges(dir, head));
    git('rm', '-q', '--cached', 'ws/sub');
  });

  it('lists the index once: the tracked paths ls-files --cached lists, and a blob id for each file', async () => {
    reset();
    write('ws/a/one.ts', 'edited, not staged\n');
    for (const root of [dir, join(dir, 'ws')]) {
      const index = await startPlanGit(root).index;
      expect(index.tracked).toEqual(await trackedFiles(root));
      for (const path of index.tracked) expect(index.ids.get(path)).toBe(git('rev-parse', `:${root === dir ? '' : 'ws/'}${path}`));
    }
  });

  it('makes .kiln only once a snapshot started without it has answered', async () => {
    reset();
    rmSync(join(dir, '.kiln'), { recursive: true, force: true });
    let answer!: (s: WorkTreeSnapshot) => void;
    const promise = new Promise<WorkTreeSnapshot>((resolve) => (answer = resolve));
    const planGit = startPlanGit(dir, { root: dir, promise });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(existsSync(join(dir, '.kiln'))).toBe(false);
    answer(await workTreeSnapshot(dir));
    await planGit.writable;
    expect(existsSync(join(dir, '.kiln', '.gitignore'))).toBe(true);
    expect(await planGit.snapshot).toBe(await promise);
  });

  it('takes a snapshot of its own when .kiln exists without its .gitignore', async () => {
    reset();
    mkdirSync(join(dir, '.kiln'), { recursive: true });
    rmSync(join(dir, '.kiln', '.gitignore'), { force: true });
    writeFileSync(join(dir, '.kiln', 'stray'), 'x');
    const stale = workTreeSnapshot(dir);
    const planGit = startPlanGit(dir, { root: dir, promise: stale });
    expect(planGit.snapshot).not.toBe(stale);
    expect(existsSync(join(dir, '.kiln', '.gitignore'))).toBe(true);
    await planGit.snapshot;
  });
});
