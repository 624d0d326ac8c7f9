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
