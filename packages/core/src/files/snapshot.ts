import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The model's modules one by one, not its index: this module is on `kiln run`'s fast path.
import { diagnostic, KilnError } from '../model/diagnostic.js';
import { cwdRelativePrefix } from '../model/paths.js';
import { gitOrThrow, splitNul } from '../scm/git.js';
import { statusAsConfigured } from '../scm/status.js';

/**
 * The state of a git work tree as the runner sees it, taken in one `git status` (porcelain v2):
 * HEAD's commit, and every path that differs from it (staged, unstaged, untracked, with the index's
 * object id for each tracked one), each with its stat signature taken right after git listed it.
 * HEAD plus these entries determine every index entry and every file the task hashes read (a path
 * git does not list has the same content in HEAD, the index and the work tree), so two equal
 * snapshots mean the same inputs. `digest` sums it up; the run manifest compares it.
 *
 * The stat is taken after git answers and before anything reads the file: a file rewritten later
 * changes its stat, so a snapshot never vouches for content older than its stat.
 * Also covered: the stat of the root files the runner reads directly whatever git says of them
 * (lockfiles, nx.json, package.json).
 *
 * Kept free of heavy imports: `kiln run`'s fast path loads it before deciding whether to load the engine.
 */
export interface WorkTreeSnapshot {
  /** The commit HEAD names, or undefined in a repository without commits. */
  readonly head: string | undefined;
  /** Changed paths relative to the workspace root, with git's two-letter status (`??` for untracked). */
  readonly entries: readonly { readonly path: string; readonly xy: string }[];
  /** SHA-256 over git's output and the stat signature of each entry and root file. */
  readonly digest: string;
  /**
   * git's own answer, for whoever would otherwise ask the same of git again (the run's changes
   * since HEAD): the `git status --porcelain=v2 -z` output (repository-relative paths; with
   * `--ignore-submodules`) and the workspace's place below the top of the repository (`''` or ending in `/`).
   */
  readonly status: string;
  readonly prefix: string;
}

/** Root files the runner reads straight from disk (the lockfile resolver, config). */
const ROOT_FILES = [
  'nx.json',
  'package.json',
  'pnpm-workspace.yaml',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'pnpm-lock.yaml',
  'yarn.lock',
  'bun.lock',
  'tsconfig.base.json',
  'tsconfig.json',
  '.nxignore',
];

/**
 * SHA-256 over the content of the root files the runner reads directly (an absent one as absent):
 * what a run bundle's plan vouches for (`remote-cache/bundle-plan.ts`) on another machine, where
 * their stats mean nothing.
 */
export function rootFilesDigest(root: string): string {
  const sum = createHash('sha256');
  for (const f of ROOT_FILES) {
    let bytes: Buffer | undefined;
    try {
      bytes = readFileSync(join(root, f));
    } catch {
      bytes = undefined;
    }
    sum.update(`${f}\0${bytes === undefined ? -1 : bytes.length}\0`);
    if (bytes !== undefined) sum.update(bytes);
  }
  return sum.digest('hex');
}

const STATUS_ARGS = ['--porcelain=v2', '--branch', '--no-ahead-behind', '-z', '--no-renames', '--ignore-submodules'];

/** The most folded untracked directories named on one command line before listing every untracked file instead. */
const MAX_PATHSPECS = 2000;

/**
 * Takes the snapshot of the work tree at `root` (which may sit below the repository's top). Throws
 * when git fails. `preloadIndex` as `statusAsConfigured` takes it.
 */
export async function workTreeSnapshot(root: string, options: { preloadIndex?: boolean } = {}): Promise<WorkTreeSnapshot> {
  const known = repositoryPrefix(root);
  // At the top of the repository status needs no pathspec, and without one git answers from its
  // untracked cache, where the repository turned it on.
  const status = statusAsConfigured(root, known === '' ? STATUS_ARGS : [...STATUS_ARGS, '--', '.'], options);
  const [r, prefixOut] = await Promise.all([status, known ?? gitOrThrow(root, ['rev-parse', '--show-prefix'])]);
  if (r.code !== 0) throw new KilnError(diagnostic('git-failed', `git status failed: ${r.stderr.trim().split('\n')[0] ?? ''}`));
  const prefix = prefixOut.trim();
  // Untracked directories come folded as `dir/`: their files are listed, each gets its own stat.
  const folded: string[] = [];
  for (const line of splitNul(r.stdout)) if (line.startsWith('? ') && line.endsWith('/')) folded.push(stripPrefix(line.slice(2), prefix));
  const expanded =
    folded.length === 0
      ? ''
      : await gitOrThrow(root, ['--literal-pathspecs', 'ls-files', '--others', '--exclude-standard', '-z', '--', ...(folded.length > MAX_PATHSPECS ? ['.'] : folded)]);
  return snapshotOf(root, r.stdout, expanded, prefix);
}

function stripPrefix(path: string, prefix: string): string {
  return prefix && path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

function snapshotOf(root: string, out: string, expanded: string, prefix: string): WorkTreeSnapshot {
  const strip = (p: string): string => stripPrefix(p, prefix);
  let head: string | undefined;
  const entries: { path: string; xy: string }[] = [];
  for (const line of splitNul(out)) {
    const kind = line[0];
    if (kind === '#') {
      if (line.startsWith('# branch.oid ')) {
        const oid = line.slice('# branch.oid '.length);
        head = oid === '(initial)' ? undefined : oid;
      }
    } else if (kind === '?') {
      if (!line.endsWith('/')) entries.push({ path: strip(line.slice(2)), xy: '??' });
    }
    // `1 XY sub mH mI mW hH hI path` and, unmerged, `u XY sub m1 m2 m3 mW h1 h2 h3 path`.
    else if (kind === '1') entries.push({ path: strip(afterFields(line, 8)), xy: line.slice(2, 4) });
    else if (kind === 'u') entries.push({ path: strip(afterFields(line, 10)), xy: line.slice(2, 4) });
    else if (kind === '2') entries.push({ path: strip(afterFields(line, 9)), xy: line.slice(2, 4) }); // renames are off; kept for safety
  }
  // `ls-files` paths are relative to `root` already.
  for (const path of splitNul(expanded)) entries.push({ path, xy: '??' });
  const sum = createHash('sha256').update(out).update('\0').update(expanded).update('\0');
  const at = cwdRelativePrefix(root);
  for (const e of entries) sum.update(`${e.path}\0${signature(lstatSync(at + e.path, { throwIfNoEntry: false }))}\n`);
  for (const f of ROOT_FILES) sum.update(`${f}\0${signature(lstatSync(at + f, { throwIfNoEntry: false }))}\n`);
  return { head, entries, digest: sum.digest('hex'), status: out, prefix };
}

/** A file's stat signature: kind (0 missing, 1 file, 2 link, 3 directory, 4 other), size, modification and change times, inode. */
export type StatSignature = readonly [kind: number, size: number, mtimeMs: number, ctimeMs: number, ino: number];

export function statSignature(st: Stats | undefined): StatSignature {
  if (st === undefined) return [0, 0, 0, 0, 0];
  return [st.isFile() ? 1 : st.isSymbolicLink() ? 2 : st.isDirectory() ? 3 : 4, st.size, st.mtimeMs, st.ctimeMs, st.ino];
}

/** A folder's identity as `StatDigest.addFolder` sums it up: kind and inode, no sizes or times. */
export function folderSignature(st: Stats | undefined): StatSignature {
  const [kind, , , , ino] = statSignature(st);
  return [kind, 0, 0, 0, ino];
}

/** `folderSignature` of the path itself (lstat), without a `Stats` object when node's binding allows (see `rawLstat`). */
export function folderSignatureOf(path: string): StatSignature {
  const raw = rawLstat();
  if (raw === undefined) return folderSignature(lstatSync(path, { throwIfNoEntry: false }));
  const v = raw(path);
  if (v === undefined) return [0, 0, 0, 0, 0];
  const type = v[1]! & S_IFMT;
  return [type === S_IFREG ? 1 : type === S_IFLNK ? 2 : type === S_IFDIR ? 3 : 4, 0, 0, 0, v[7]!];
}

/**
 * Sums up many files' stat signatures in one SHA-256, fed as raw numbers: checking tens of
 * thousands of outputs must not cost a string per file. A change of permissions changes the
 * change time, so the mode itself is left out.
 */
export class StatDigest {
  private readonly hash = createHash('sha256');
  private readonly buf = new Float64Array(5 * 512);
  private at = 0;

  /** Adds the signature of the file at `path` (lstat: a link is not followed). */
  addPath(path: string): void {
    this.lstatInto(path, true);
  }

  /**
   * Adds the identity of the folder at `path` (lstat): its kind and inode only. A folder's times
   * and size change whenever a file is added beside the ones that matter; its identity changes
   * only when it is replaced (by a symbolic link, or by another folder).
   */
  addFolder(path: string): void {
    this.lstatInto(path, false);
  }

  /** One lstat into the next slot: kind and inode, and with `times` the size, mtime and ctime too (zeros for a missing path). */
  private lstatInto(path: string, times: boolean): void {
    const raw = rawLstat();
    if (raw === undefined) {
      const st = lstatSync(path, { throwIfNoEntry: false });
      return this.add(times ? statSignature(st) : folderSignature(st));
    }
    const b = this.buf;
    const i = this.at;
    b.fill(0, i, i + 5);
    const v = raw(path);
    if (v !== undefined) {
      const type = v[1]! & S_IFMT;
      b[i] = type === S_IFREG ? 1 : type === S_IFLNK ? 2 : type === S_IFDIR ? 3 : 4;
      if (times) {
        b[i + 1] = v[8]!;
        b[i + 2] = v[12]! * 1e3 + v[13]! / 1e6;
        b[i + 3] = v[14]! * 1e3 + v[15]! / 1e6;
      }
      b[i + 4] = v[7]!;
    }
    this.advance();
  }

  add(sig: StatSignature): void {
    this.buf.set(sig, this.at);
    this.advance();
  }

  private advance(): void {
    this.at += 5;
    if (this.at === this.buf.length) {
      this.hash.update(this.buf);
      this.at = 0;
    }
  }

  digest(): string {
    this.hash.update(this.buf.subarray(0, this.at));
    return this.hash.digest('hex');
  }
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

type RawLstat = (path: string) => Float64Array | undefined;
let raw: RawLstat | null | undefined;

/**
 * lstat without a `Stats` object. Node 20 builds each `Stats` with four `Date`s, which costs more
 * than the system call when tens of thousands of outputs are checked (and then the garbage
 * collector pays again). Node's own binding returns the raw numbers; it is an internal interface,
 * so it is used only when present and when, on a real file, it gives exactly what `lstatSync`
 * gives (the same fields, the same millisecond arithmetic); otherwise `lstatSync` it is.
 */
function rawLstat(): RawLstat | undefined {
  if (raw !== undefined) return raw ?? undefined;
  raw = null;
  try {
    if (process.env.KILN_NO_RAW_STAT) return undefined;
    const binding = (
      process as unknown as { binding(name: string): { lstat?: (path: string, bigint: boolean, req: undefined, throwIfNoEntry: boolean) => Float64Array | undefined } }
    ).binding('fs');
    const lstat = binding.lstat;
    if (typeof lstat !== 'function') return undefined;
    const candidate: RawLstat = (path) => lstat.call(binding, path, false, undefined, false);
    const probe = fileURLToPath(import.meta.url);
    const want = lstatSync(probe);
    const got = candidate(probe);
    const missing = candidate(`${probe}.kiln-no-such-file`);
    if (
      got instanceof Float64Array &&
      missing === undefined &&
      got[1] === want.mode &&
      got[7] === want.ino &&
      got[8] === want.size &&
      got[12]! * 1e3 + got[13]! / 1e6 === want.mtimeMs &&
      got[14]! * 1e3 + got[15]! / 1e6 === want.ctimeMs
    )
      raw = candidate;
  } catch {
    raw = null;
  }
  return raw ?? undefined;
}

/** A file's stat signature: kind, size, modification and change times, inode; `-` when it does not exist. */
export function signature(st: Stats | undefined): string {
  if (st === undefined) return '-';
  const kind = st.isFile() ? 'f' : st.isSymbolicLink() ? 'l' : st.isDirectory() ? 'd' : 'o';
  return `${kind}${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}:${st.mode}`;
}

/** The text after the first `n` space-separated fields. */
function afterFields(line: string, n: number): string {
  let at = 0;
  for (let i = 0; i < n; i++) at = line.indexOf(' ', at) + 1;
  return line.slice(at);
}

/**
 * `root` relative to the repository's top (`''` at the top, `a/b/` below it), found without git
 * when `root` itself holds `.git`; undefined when git must be asked.
 */
function repositoryPrefix(root: string): string | undefined {
  if (process.env.GIT_DIR !== undefined || process.env.GIT_WORK_TREE !== undefined) return undefined;
  return existsSync(join(root, '.git')) ? '' : undefined;
}
