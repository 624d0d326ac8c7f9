/**
 * HEAD's commit as the repository's files say, without starting git: a guess that lets a fresh
 * clone ask for its run bundle while git is still starting (`api/run-bundle.ts`). Only the plain
 * layout is read: a `.git` folder at `root`, HEAD a commit id or a branch whose ref is a loose
 * file or a line of `packed-refs`. Anything else (a worktree, a submodule, `GIT_DIR`, a reftable,
 * a symbolic ref) is undefined. Git's own answer is what counts: a guess it does not confirm is dropped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** A branch or other ref under `refs/`, with no part that could lead out of `.git`. */
const REF = /^refs\/(?:[^/\0\s.][^/\0\s]*\/)*[^/\0\s.][^/\0\s]*$/;

/** HEAD's commit read from `root/.git`, or undefined when git must be asked. */
export function headCommitFromFiles(root: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.GIT_DIR !== undefined || env.GIT_WORK_TREE !== undefined || env.GIT_COMMON_DIR !== undefined) return undefined;
  const gitDir = join(root, '.git');
  const head = read(join(gitDir, 'HEAD'));
  if (head === undefined) return undefined;
  if (COMMIT.test(head)) return head;
  const ref = head.startsWith('ref: ') ? head.slice(5).trim() : undefined;
  if (ref === undefined || !REF.test(ref) || ref.split('/').includes('..')) return undefined;
  const loose = read(join(gitDir, ref));
  if (loose !== undefined) return COMMIT.test(loose) ? loose : undefined;
  return packedRef(read(join(gitDir, 'packed-refs')), ref);
}

/** A file's text without its line end, or undefined (missing, a folder, unreadable). */
function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The commit `packed-refs` gives `ref` (its lines: `<id> <ref>`, with `#` headers and `^<id>` peeled lines between). */
export function packedRef(text: string | undefined, ref: string): string | undefined {
  if (text === undefined) return undefined;
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0 && line.slice(space + 1).trimEnd() === ref) {
      const id = line.slice(0, space);
      return COMMIT.test(id) ? id : undefined;
    }
  }
  return undefined;
}
