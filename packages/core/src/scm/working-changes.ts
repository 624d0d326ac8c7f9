/**
 * What changed between a commit and the work tree, asked of git the cheap way.
 *
 * `git diff BASE` against the work tree and `git ls-files --others` answer it directly, as two
 * walks of the work tree. One `git status` walks it once for both, folds new directories, and
 * answers from git's untracked cache where the repository turned it on; so the work tree is asked
 * as two cheap questions whose union is the answer:
 *
 *  - committed: `git diff BASE HEAD`, tree to tree (no work-tree scan at all);
 *  - working: `git status` (HEAD → index → work tree, untracked files included).
 *
 * A path the two disagree on (changed in a commit and again, perhaps back, in the work tree), or
 * one staged and changed again, is re-asked of git directly, so the union is exactly what
 * `git diff BASE` plus the untracked files list, never a superset. Untracked directories that
 * status folds into `dir/` are expanded with `git ls-files --others -- dir/`.
 *
 * Status runs as `status.ts` says, as the runner's work-tree snapshot runs it.
 */
import { parseNameStatus, type FileChange } from './changes.js';
import { git, gitOrThrow, splitNul, type GitResult } from './git.js';
import { statusAsConfigured } from './status.js';

/** A `git status` started ahead of need (it is the slow part), with what placing its paths takes. */
export interface WorkingTreeScan {
  readonly cwd: string;
  /** `git status --porcelain=v2 -z` (paths relative to the top of the repository). */
  readonly status: Promise<GitResult>;
  /** Where `cwd` is, and what HEAD and the refs asked about name; undefined outside git. */
  readonly place: Promise<WorkTreePlace | undefined>;
}

export interface WorkTreePlace {
  /** The top of the work tree. */
  readonly top: string;
  /** `cwd` relative to `top`: `''` or ending in `/`. */
  readonly prefix: string;
  /** The commit HEAD names and the commit each ref asked about names; undefined when any of them names none. */
  readonly head: string | undefined;
  readonly commits: readonly string[] | undefined;
}

/** The most paths handed to git on one command line before falling back to asking about everything. */
const MAX_PATHSPECS = 2000;

/**
 * Starts `git status` for the work tree containing `cwd` now, to be read by `workingTreeChanges`
 * later: callers start it before their own start-up work so the two overlap. One `git rev-parse`
 * alongside answers where the work tree is and which commits HEAD and `refs` name.
 */
export function startWorkingTree(cwd: string, refs: readonly string[] = []): WorkingTreeScan {
  const status = statusAsConfigured(cwd, ['--porcelain=v2', '-z', '--no-renames']);
  const asked = refs.some((r) => r.startsWith('-')) ? [] : refs;
  const place = git(cwd, ['rev-parse', '--show-toplevel', '--show-prefix', ...['HEAD', ...asked].map((r) => `${r}^{commit}`), '--']).then(
    (r): WorkTreePlace | undefined => {
      // git prints the top and the prefix even when a ref names nothing (and then fails).
      const lines = r.stdout.split('\n');
      if (lines.length < 3 || lines[0] === '') return undefined;
      const named = lines.slice(2, 3 + refs.length);
      const commits = r.code === 0 && asked.length === refs.length && named.every((l) => /^[0-9a-f]{40,64}$/.test(l)) ? named : undefined;
      return { top: lines[0]!, prefix: lines[1]!, head: commits?.[0], commits: commits?.slice(1) };
    },
  );
  // Whoever starts a scan may end up not reading it (an error first): never an unhandled rejection.
  place.catch(() => undefined);
  return { cwd, status, place };
}

/**
 * Files changed between `base` and the work tree (committed, staged, unstaged) plus untracked
 * files that are not ignored, relative to `cwd` and limited to it: the paths `changedFiles(cwd,
 * base)` lists. Renames come as a deletion and an addition (both paths count). Pass the scan
 * `startWorkingTree` began to use it.
 */
export async function workingTreeChanges(cwd: string, base: string, scan: WorkingTreeScan = startWorkingTree(cwd)): Promise<FileChange[]> {
  const place = await scan.place;
  if (place === undefined) return slowWorkingTreeChanges(cwd, base);
  const { top, prefix } = place;
  // Tree to tree, so cheap; asked while status still runs (and not at all when base is HEAD).
  const committed = base === place.head ? undefined : git(top, ['diff', '--no-renames', '--name-status', '-z', '--no-ext-diff', '--no-color', base, 'HEAD', '--']);
  committed?.catch(() => undefined); // read below, unless status fails first
  const status = await scan.status;
  if (status.code !== 0) return slowWorkingTreeChanges(cwd, base);
  const parsed = parseStatus(status.stdout);
  const folded = parsed.folded.filter((dir) => dir.startsWith(prefix) || prefix.startsWith(dir));
  if (folded.length > MAX_PATHSPECS) return slowWorkingTreeChanges(cwd, base);
  const expanded = folded.length === 0 ? undefined : gitOrThrow(top, ['--literal-pathspecs', 'ls-files', '--others', '--exclude-standard', '-z', '--', ...folded]);
  expanded?.catch(() => undefined); // read below, unless the slow way takes over first

  const c = await committed;
  if (c !== undefined && c.code !== 0) return slowWorkingTreeChanges(cwd, base);
  const inCommits = c === undefined ? [] : parseNameStatus(c.stdout);
  const committedPaths = new Set(inCommits.map((x) => x.path));
  // Paths whose answer needs git's word: changed on both sides, or staged and changed again.
  const recheck = new Set(parsed.unsure);
  for (const x of parsed.tracked) if (committedPaths.has(x.path)) recheck.add(x.path);
  if (recheck.size > MAX_PATHSPECS) return slowWorkingTreeChanges(cwd, base);

  const changes: FileChange[] = [];
  for (const x of inCommits) if (!recheck.has(x.path)) changes.push(x);
  for (const x of parsed.tracked) if (!recheck.has(x.path)) changes.push(x);
  for (const path of parsed.untracked) changes.push({ status: 'added', path });
  if (expanded !== undefined) for (const path of splitNul(await expanded)) changes.push({ status: 'added', path });
  if (recheck.size > 0) {
    const exact = await gitOrThrow(top, ['--literal-pathspecs', 'diff', '--no-renames', '--name-status', '-z', '--no-ext-diff', '--no-color', base, '--', ...[...recheck].sort()]);
    changes.push(...parseNameStatus(exact));
  }

  const out: FileChange[] = [];
  const inside = (p: string): boolean => p.startsWith(prefix);
  const rel = (p: string): string => p.slice(prefix.length);
  for (const x of changes) {
    if (x.status !== 'renamed' && x.status !== 'copied') {
      if (inside(x.path)) out.push({ status: x.status, path: rel(x.path) });
    } else if (inside(x.path) && inside(x.from)) out.push({ status: x.status, path: rel(x.path), from: rel(x.from) });
    else if (inside(x.path)) out.push({ status: 'added', path: rel(x.path) });
    else if (inside(x.from) && x.status === 'renamed') out.push({ status: 'deleted', path: rel(x.from) });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.status < b.status ? -1 : a.status > b.status ? 1 : 0));
}

/** The direct way (a full work-tree diff and a full untracked walk), for when the cheap one cannot answer. */
async function slowWorkingTreeChanges(cwd: string, base: string): Promise<FileChange[]> {
  const [diff, untracked] = await Promise.all([
    gitOrThrow(cwd, ['diff', '--name-status', '-z', '-M', '--relative', '--no-ext-diff', '--no-color', base, '--']),
    gitOrThrow(cwd, ['ls-files', '--others', '--exclude-standard', '-z']),
  ]);
  const changes = parseNameStatus(diff);
  for (const path of splitNul(untracked)) changes.push({ status: 'added', path });
  return changes;
}

/** `git status --porcelain=v2 -z`, sorted out. Paths are relative to the top of the repository. */
export interface ParsedStatus {
  /** Tracked paths that differ between HEAD and the work tree, relative to HEAD. */
  readonly tracked: FileChange[];
  /** Tracked paths that may not differ after all: staged, then changed again in the work tree. */
  readonly unsure: string[];
  readonly untracked: string[];
  /** Untracked directories status folded into one `dir/` entry. */
  readonly folded: string[];
}

/**
 * Parses porcelain v2 records: `1 XY sub mH mI mW hH hI path`, `2 ... Xscore path\0orig` (renames,
 * should status be asked for them), `u XY sub m1 m2 m3 mW h1 h2 h3 path` (unmerged), `? path`.
 * X is HEAD → index, Y index → work tree, `.` unchanged.
 */
export function parseStatus(out: string): ParsedStatus {
  const parts = splitNul(out);
  const tracked: FileChange[] = [];
  const unsure: string[] = [];
  const untracked: string[] = [];
  const folded: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const record = parts[i]!;
    const kind = record[0];
    if (kind === '?') {
      const path = record.slice(2);
      // A nested repository also comes as `dir/`; expanding it gives it back, as `ls-files --others` lists it.
      (path.endsWith('/') ? folded : untracked).push(path);
    } else if (kind === '1') {
      const x = record[2]!;
      const y = record[3]!;
      const path = afterFields(record, 8);
      // A submodule: whether `git diff` calls it changed depends on its own rules (new commits,
      // modified or only untracked content, ignore settings), so git is asked about it directly.
      if (record[5] === 'S') unsure.push(path);
      const inHead = x !== 'A' && y !== 'A';
      const inTree = x !== 'D' && y !== 'D';
      if (!inHead && !inTree) continue; // added to the index, then removed from the work tree
      if (!inHead) tracked.push({ status: 'added', path });
      else if (!inTree) tracked.push({ status: 'deleted', path });
      else {
        tracked.push({ status: x === 'T' || y === 'T' ? 'type-changed' : 'modified', path });
        if (x !== '.' && y !== '.') unsure.push(path);
      }
    } else if (kind === '2') {
      const x = record[2]!;
      const y = record[3]!;
      const path = afterFields(record, 9);
      const from = parts[++i]!;
      if (x === 'R') tracked.push({ status: 'deleted', path: from });
      if (y !== 'D') tracked.push({ status: 'added', path });
    } else if (kind === 'u') {
      const path = afterFields(record, 10);
      tracked.push({ status: 'modified', path });
      if (record[5] === 'S') unsure.push(path);
    }
  }
  return { tracked, unsure, untracked, folded };
}

/** What follows the first `n` space-separated fields (a path may itself hold spaces). */
function afterFields(record: string, n: number): string {
  let at = 0;
  for (let k = 0; k < n; k++) at = record.indexOf(' ', at) + 1;
  return record.slice(at);
}
