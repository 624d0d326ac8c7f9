/**
 * History for releases: tags reachable from a commit, the commits since a tag that touch some
 * paths, commit times, and writing a release commit and its tags.
 */
import { git, gitOrThrow, splitNul } from './git.js';

/** Tags whose commit is an ancestor of (or is) `ref`. */
export async function tagsMergedInto(cwd: string, ref = 'HEAD'): Promise<string[]> {
  const out = await gitOrThrow(cwd, ['tag', '--list', '--merged', ref]);
  return out.split('\n').filter((t) => t !== '');
}

export interface LogEntry {
  readonly hash: string;
  readonly message: string;
}

/**
 * Commits reachable from `head` but not from `since` (all of them without `since`) that touch
 * any of `paths` (relative to `cwd`; `''` is all of `cwd`), newest first.
 */
export async function commitsTouching(cwd: string, paths: readonly string[], since: string | undefined, head = 'HEAD'): Promise<LogEntry[]> {
  const range = since === undefined ? [head] : [`${since}..${head}`];
  const specs = paths.map((p) => (p === '' ? '.' : p));
  const out = await gitOrThrow(cwd, ['log', '-z', '--format=%H%n%B', ...range, '--', ...specs]);
  return splitNul(out).map((record) => {
    const nl = record.indexOf('\n');
    return { hash: record.slice(0, nl), message: record.slice(nl + 1).replace(/\n+$/, '') };
  });
}

/** The committer time of `ref`, in seconds since the epoch. */
export async function commitTime(cwd: string, ref = 'HEAD'): Promise<number> {
  return Number((await gitOrThrow(cwd, ['show', '-s', '--format=%ct', ref, '--'])).trim());
}

/**
 * The committer time (seconds since the epoch) of the latest commit reachable from HEAD that
 * touches any of `paths` (relative to `cwd`; `''` is all of it), else HEAD's; undefined when
 * there is no commit.
 */
export async function lastCommitTime(cwd: string, paths: readonly string[]): Promise<number | undefined> {
  const specs = paths.map((p) => (p === '' ? '.' : p));
  const touching = await git(cwd, ['log', '-1', '--format=%ct', 'HEAD', '--', ...specs]);
  const text = touching.code === 0 && touching.stdout.trim() !== '' ? touching.stdout : (await git(cwd, ['log', '-1', '--format=%ct', 'HEAD', '--'])).stdout;
  const seconds = Number(text.trim());
  return text.trim() !== '' && Number.isSafeInteger(seconds) ? seconds : undefined;
}

/** Whether tracked files differ from HEAD (staged or not); untracked files do not count. */
export async function hasTrackedChanges(cwd: string, paths: readonly string[] = []): Promise<boolean> {
  const r = await git(cwd, ['diff', '--quiet', 'HEAD', '--', ...paths]);
  return r.code === 1;
}

/** `remote.origin.url` without credentials (`https://user:token@host/x` → `https://host/x`), or undefined. */
export async function originUrl(cwd: string): Promise<string | undefined> {
  const r = await git(cwd, ['config', '--get', 'remote.origin.url']);
  if (r.code !== 0) return undefined;
  return r.stdout.trim().replace(/^([a-z+]+:\/\/)[^/@]*@/i, '$1') || undefined;
}

/** Stages `paths` and commits them with `message`; returns the new commit. */
export async function commitPaths(cwd: string, paths: readonly string[], message: string): Promise<string> {
  await gitOrThrow(cwd, ['add', '--', ...paths]);
  await gitOrThrow(cwd, ['commit', '-q', '-m', message, '--', ...paths], 'git-commit-failed', 'Set user.name and user.email, or pass --skip-commit.');
  return (await gitOrThrow(cwd, ['rev-parse', 'HEAD'])).trim();
}

/** An annotated tag on `ref`; fails when the tag exists. */
export async function createTag(cwd: string, name: string, ref = 'HEAD'): Promise<void> {
  await gitOrThrow(cwd, ['tag', '-a', '-m', name, name, ref], 'git-tag-failed', `Delete the tag "${name}" or bump past it.`);
}
