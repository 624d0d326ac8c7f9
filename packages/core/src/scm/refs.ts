import { git } from './git.js';

/**
 * One `git rev-parse` for what most commands ask first: the top of the work tree and the commit
 * each ref names. Undefined when there is no repository or any ref names no commit (callers then
 * ask ref by ref, to say which one and why).
 */
export async function revParseCommits(cwd: string, refs: readonly string[]): Promise<{ top: string; commits: string[] } | undefined> {
  if (refs.some((r) => r.startsWith('-'))) return undefined;
  const r = await git(cwd, ['rev-parse', '--show-toplevel', ...refs.map((ref) => `${ref}^{commit}`), '--']);
  if (r.code !== 0) return undefined;
  // git echoes the `--` that ends the revisions; only the top and one line per ref count.
  const lines = r.stdout.split('\n').filter((l) => l !== '' && l !== '--');
  return lines.length === refs.length + 1 ? { top: lines[0]!, commits: lines.slice(1) } : undefined;
}

/**
 * HEAD's commit and its first parent's (HEAD's alone for a first commit, or where the history is
 * cut short, as in a shallow clone); undefined without a commit. One git process either way.
 */
export async function headAndParent(root: string): Promise<readonly string[] | undefined> {
  const r = await git(root, ['rev-list', '--parents', '-n', '1', 'HEAD', '--']);
  const ids = r.code === 0 ? r.stdout.trim().split(' ') : [];
  return ids[0] ? ids.slice(0, 2) : undefined;
}
