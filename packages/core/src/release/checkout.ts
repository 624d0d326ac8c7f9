/**
 * Edge: a fresh, temporary checkout of a workspace, for building it again somewhere else
 * (`kiln artifact --check-reproducible`). It holds HEAD plus the work tree's changes (tracked
 * changes as a binary patch, untracked files that are not ignored), every file dated by a given
 * clock, and the installed dependencies of the original (each `node_modules` mirrored by links:
 * packages point at the original's, workspace links stay relative, so they resolve inside the
 * checkout). Ignored files other than `node_modules` are not copied: they are not sources.
 * Building in it is api/'s.
 */
import { copyFile, lstat, lutimes, mkdir, mkdtemp, readdir, readlink, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { diagnostic, KilnError } from '../model/index.js';
import { gitOrThrow, originUrl, repoRoot, resolveCommit, splitNul } from '../scm/index.js';

export interface CheckoutOptions {
  /** The time (seconds since the epoch) to give the i-th file or folder, in path order. */
  readonly mtime: (i: number) => number;
}

/**
 * Makes the checkout of the workspace at `root` in `dir` (which must not exist); returns the
 * workspace's root inside it (the same path below the repository's top as `root`).
 */
export async function makeCheckout(root: string, dir: string, options: CheckoutOptions): Promise<string> {
  const top = await repoRoot(root);
  const revision = top === undefined ? undefined : await resolveCommit(root, 'HEAD');
  if (top === undefined || revision === undefined)
    throw new KilnError(diagnostic('artifact-no-commit', 'checking reproducibility needs a git commit to check out.', { hint: 'Commit the workspace first.' }));
  await mkdir(dirname(dir), { recursive: true });
  // --shared: objects are read from the original, so even a commit no branch holds checks out.
  await gitOrThrow(top, ['clone', '--quiet', '--no-checkout', '--shared', top, dir]);
  await gitOrThrow(dir, ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', revision]);
  // The original's remote, not the folder cloned from: artifacts are stamped with its URL.
  const origin = await originUrl(top);
  await gitOrThrow(dir, origin === undefined ? ['remote', 'remove', 'origin'] : ['remote', 'set-url', 'origin', origin]);

  const patchDir = await mkdtemp(join(tmpdir(), 'kiln-patch-'));
  try {
    const patch = join(patchDir, 'work-tree.patch');
    await gitOrThrow(top, ['diff', '--binary', '--no-color', '--no-ext-diff', `--output=${patch}`, 'HEAD', '--']);
    if ((await lstat(patch)).size > 0) await gitOrThrow(dir, ['apply', '--binary', '--whitespace=nowarn', patch], 'artifact-checkout-failed');
  } finally {
    await rm(patchDir, { recursive: true, force: true });
  }
  for (const path of splitNul(await gitOrThrow(top, ['ls-files', '--others', '--exclude-standard', '-z']))) await copyEntry(join(top, path), join(dir, path));
  const ignored = splitNul(await gitOrThrow(top, ['ls-files', '--others', '--ignored', '--exclude-standard', '--directory', '-z']));
  const installed = ignored.map((p) => p.replace(/\/$/, '')).filter((p) => p.split('/').at(-1) === 'node_modules' && !p.slice(0, -'node_modules'.length).includes('node_modules/'));
  for (const path of installed) await mirrorInstalled(join(top, path), join(dir, path));
  await dateEverything(dir, options.mtime);
  return join(dir, relative(top, root));
}

async function copyEntry(from: string, to: string): Promise<void> {
  const st = await lstat(from);
  await mkdir(dirname(to), { recursive: true });
  if (st.isSymbolicLink()) await symlink(await readlink(from), to);
  else if (st.isFile()) await copyFile(from, to);
}

/**
 * A `node_modules` folder as links: symbolic links (workspace packages, `.bin` entries, pnpm's
 * layout) are copied as they are, relative ones thus resolving inside the checkout; scope folders
 * and `.bin` are mirrored one level down; every other package is a link to the original's.
 */
async function mirrorInstalled(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const name of (await readdir(from)).sort()) {
    const source = join(from, name);
    const st = await lstat(source);
    if (st.isSymbolicLink()) await symlink(await readlink(source), join(to, name));
    else if (st.isDirectory() && (name.startsWith('@') || name === '.bin')) await mirrorInstalled(source, join(to, name));
    else await symlink(source, join(to, name));
  }
}

/** Dates every file, folder and link below `dir` (but `.git` and `node_modules`), in path order. */
async function dateEverything(dir: string, mtime: (i: number) => number): Promise<void> {
  let i = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name === '.git' || e.name === 'node_modules') continue;
      const path = join(d, e.name);
      if (e.isDirectory()) await walk(path);
      const t = mtime(i++);
      await lutimes(path, t, t);
    }
  };
  await walk(dir);
}
