/**
 * Edge tests for `workingTreeChanges`: on real repositories, the cheap way (a tree-to-tree diff
 * plus `git status` with the untracked cache) must list exactly the paths the direct way
 * (`changedFiles`: `git diff BASE` against the work tree plus `git ls-files --others`) lists.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, git as gitIn, type TempRepo } from '../../../../test/helpers/repo.js';
import { changedFiles, type FileChange } from './changes.js';
import { parseStatus, workingTreeChanges } from './working-changes.js';

let repo: TempRepo;
let dir: string;
let base: string;
const git = (...args: string[]) => repo.git(...args).trim();
const write = (path: string, content: string) => repo.write({ [path]: content });
const remove = (path: string) => rmSync(join(dir, path), { recursive: true, force: true });
const paths = (changes: readonly FileChange[]) => [...new Set(changes.flatMap((c) => ('from' in c ? [c.from, c.path] : [c.path])))].sort();
/** Both ways, from the top and from the `ws` subdirectory: they must agree; returns the top's paths. */
async function agreed(label: string): Promise<string[]> {
  const fast = paths(await workingTreeChanges(dir, base));
  expect(fast, label).toEqual(paths(await changedFiles(dir, base)));
  expect(paths(await workingTreeChanges(join(dir, 'ws'), base)), `${label} (from ws/)`).toEqual(paths(await changedFiles(join(dir, 'ws'), base)));
  return fast;
}
/** Back to HEAD of `feature` with nothing staged, changed or untracked (ignored files stay). */
function reset(): void {
  git('reset', '-q', '--hard', 'feature');
  git('clean', '-fdq');
}

const FILES = ['ws/a/one.ts', 'ws/a/two.ts', 'ws/b/three.ts', 'ws/b/deep/four.ts', 'ws/c/five.ts', 'top.txt', 'other/six.txt'];

beforeAll(() => {
  repo = createRepo({}, { commit: false });
  dir = repo.dir;
  write('.gitignore', 'dist/\n*.log\n');
  for (const f of FILES) write(f, `${f}\n`);
  git('add', '-A');
  git('commit', '-qm', 'base');
  base = git('rev-parse', 'HEAD');
  git('checkout', '-qb', 'feature');
  // Committed since base: a change, an addition, a deletion and a rename.
  write('ws/a/one.ts', 'one, changed in a commit\n');
  write('ws/a/added.ts', 'added in a commit\n');
  git('rm', '-q', 'ws/c/five.ts');
  git('mv', 'ws/b/three.ts', 'ws/b/drei.ts');
  git('add', '-A');
  git('commit', '-qm', 'feature');
});
afterAll(() => repo.cleanup());

describe('workingTreeChanges', () => {
  it('lists committed changes alone when the work tree is clean', async () => {
    reset();
    expect(await agreed('clean')).toEqual(['ws/a/added.ts', 'ws/a/one.ts', 'ws/b/drei.ts', 'ws/b/three.ts', 'ws/c/five.ts']);
  });

  it('expands an untracked directory into its files, and leaves out ignored ones', async () => {
    reset();
    write('ws/new/dir/x.ts', 'x\n');
    write('ws/new/dir/deeper/y.ts', 'y\n');
    write('ws/new/dist/out.js', 'ignored\n');
    write('ws/only-ignored/z.log', 'ignored\n');
    write('ws/[odd] dir/z.ts', 'glob characters and a space\n');
    const found = await agreed('untracked directories');
    expect(found).toEqual(expect.arrayContaining(['ws/new/dir/x.ts', 'ws/new/dir/deeper/y.ts', 'ws/[odd] dir/z.ts']));
    expect(found.filter((p) => p.includes('dist') || p.endsWith('.log'))).toEqual([]);
  });

  it('counts a work-tree rename at both paths, staged or not', async () => {
    reset();
    renameSync(join(dir, 'ws/a/two.ts'), join(dir, 'ws/a/zwei.ts'));
    expect(await agreed('unstaged rename')).toEqual(expect.arrayContaining(['ws/a/two.ts', 'ws/a/zwei.ts']));
    git('add', '-A');
    expect(await agreed('staged rename')).toEqual(expect.arrayContaining(['ws/a/two.ts', 'ws/a/zwei.ts']));
  });

  it('drops a file changed in a commit and changed back in the work tree, and keeps one changed again', async () => {
    reset();
    write('ws/a/one.ts', 'ws/a/one.ts\n'); // its content at base
    let found = await agreed('reverted');
    expect(found).not.toContain('ws/a/one.ts');
    write('ws/a/one.ts', 'changed once more\n');
    found = await agreed('changed again');
    expect(found).toContain('ws/a/one.ts');
    // Deleted in a commit and back, untracked; added in a commit and gone from the work tree.
    reset();
    write('ws/c/five.ts', 'ws/c/five.ts\n');
    remove('ws/a/added.ts');
    found = await agreed('deleted and back, added and gone');
    expect(found).toContain('ws/c/five.ts');
    expect(found).not.toContain('ws/a/added.ts');
  });

  it('drops a change staged and then undone in the work tree', async () => {
    reset();
    write('ws/a/two.ts', 'staged\n');
    git('add', 'ws/a/two.ts');
    write('ws/a/two.ts', 'ws/a/two.ts\n');
    expect(await agreed('staged then undone')).not.toContain('ws/a/two.ts');
  });

  it('agrees with the direct way on random work trees, whatever the untracked-file settings', async () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pool = [...FILES, 'ws/a/added.ts', 'ws/b/drei.ts', 'ws/new/n1.ts', 'ws/new/sub/n2.ts', 'ws/a/n3.ts', 'fresh/n4.txt', 'ws/dist/x.js', 'ws/a/x.log'];
    const settings: [string, string | undefined][] = [
      ['core.untrackedCache', undefined],
      ['core.untrackedCache', 'false'],
      ['status.showUntrackedFiles', 'all'],
      ['status.showUntrackedFiles', 'no'],
    ];
    for (const [key, value] of settings) {
      if (value !== undefined) git('config', key, value);
      // Three rounds per setting: each round is a few dozen git commands.
      for (let round = 0; round < 3; round++) {
        reset();
        for (let op = 0; op < 5; op++) {
          const file = pool[random(pool.length)]!;
          const at = join(dir, file);
          const what = random(6);
          if (what === 0) write(file, `random ${round}.${op}\n`);
          else if (what === 1) remove(file);
          else if (what === 2) write(file, `${file}\n`); // its content at base, where it had one
          else if (what === 3) git('add', '-A', '--', dirname(file));
          else if (what === 4) git('rm', '-q', '--cached', '--ignore-unmatch', '--', file);
          else
            try {
              unlinkSync(at);
              symlinkSync('top.txt', at);
            } catch {
              // not there to turn into a link
            }
        }
        await agreed(`${key}=${value} round ${round}`);
      }
      if (value !== undefined) git('config', '--unset', key);
    }
  });

  it('asks git directly about a submodule, whatever changed inside it', async () => {
    reset();
    const sub = join(dir, 'ws/sub');
    mkdirSync(sub, { recursive: true });
    const inSub = (...args: string[]) => gitIn(sub, args);
    inSub('init', '-q', '-b', 'main');
    writeFileSync(join(sub, 'f.txt'), 'one\n');
    inSub('add', '-A');
    inSub('commit', '-qm', 'one');
    git('add', 'ws/sub'); // an embedded repository: a gitlink
    git('commit', '-qm', 'with a submodule');
    for (const change of [
      () => writeFileSync(join(sub, 'untracked.txt'), 'x\n'),
      () => writeFileSync(join(sub, 'f.txt'), 'two\n'),
      () => {
        inSub('add', '-A');
        inSub('commit', '-qm', 'two');
      },
    ]) {
      change();
      await agreed('submodule');
    }
    git('rm', '-q', '--cached', 'ws/sub');
    git('commit', '-qm', 'no submodule');
    rmSync(sub, { recursive: true, force: true });
  });

  it("uses git's untracked cache only where the repository turned it on", async () => {
    reset();
    const index = () => readFileSync(join(dir, '.git/index'));
    write('ws/new/n.ts', 'n\n');
    await workingTreeChanges(dir, base);
    expect(index().includes('UNTR')).toBe(false);
    git('config', 'core.untrackedCache', 'true');
    write('ws/new/m.ts', 'm\n');
    await workingTreeChanges(dir, base);
    expect(index().includes('UNTR')).toBe(true);
    git('config', 'core.untrackedCache', 'false');
    await workingTreeChanges(dir, base);
    expect(index().includes('UNTR')).toBe(false);
    git('config', '--unset', 'core.untrackedCache');
  });
});

describe('parseStatus', () => {
  it('reads porcelain v2 records, paths with spaces included', () => {
    const out = [
      '1 .M N... 100644 100644 100644 aaa aaa a b.ts',
      '1 A. N... 000000 100644 100644 000 bbb new.ts',
      '1 .D N... 100644 100644 000000 ccc ccc gone.ts',
      '1 AD N... 000000 100644 000000 000 ddd came-and-went.ts',
      '1 MM N... 100644 100644 100644 eee fff twice.ts',
      '2 R. N... 100644 100644 100644 ggg ggg R100 to.ts',
      'from.ts',
      'u UU N... 100644 100644 100644 100644 h1 h2 h3 conflict.ts',
      '? loose.ts',
      '? new dir/',
      '',
    ].join('\0');
    expect(parseStatus(out)).toEqual({
      tracked: [
        { status: 'modified', path: 'a b.ts' },
        { status: 'added', path: 'new.ts' },
        { status: 'deleted', path: 'gone.ts' },
        { status: 'modified', path: 'twice.ts' },
        { status: 'deleted', path: 'from.ts' },
        { status: 'added', path: 'to.ts' },
        { status: 'modified', path: 'conflict.ts' },
      ],
      unsure: ['twice.ts'],
      untracked: ['loose.ts'],
      folded: ['new dir/'],
    });
  });
});
