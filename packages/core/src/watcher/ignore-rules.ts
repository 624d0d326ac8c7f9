/**
 * Which paths the watcher leaves alone: node_modules, kiln's own `.kiln` (but its barrier folder),
 * git's internals (but what moves HEAD, the index and refs), the root .gitignore and .nxignore
 * (through `ignore`), and the tasks' declared outputs, so a build never triggers itself. A tracked
 * file is never ignored, whatever the ignore files say: git still reports its changes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ignore from 'ignore';

/** Git's files that say what HEAD, the index and the refs are; everything else under .git is noise. */
const GIT_KEPT = /^\.git(\/(HEAD|index|packed-refs|refs(\/.*)?))?$/;
/** The folder the barrier's sentinel file is written to (see watcher.ts). */
export const BARRIER_DIR = '.kiln/watch';

export interface IgnoreOptions {
  /** Output paths of the tasks (workspace-relative; globs are cut at their first wildcard). */
  readonly outputs?: readonly string[];
  /** Paths git tracks although an ignore file matches them. */
  readonly tracked?: ReadonlySet<string>;
  /** Only what git ignores (the root .gitignore) and kiln's and git's own folders: for answers that must match git's. */
  readonly gitOnly?: boolean;
  /** Keep the files that say where HEAD, the index and the refs are (the daemon's proof needs them; `kiln watch` does not). */
  readonly gitState?: boolean;
}

/** `isIgnored(relativePath, isDirectory)` for a workspace. */
export function workspaceIgnore(root: string, options: IgnoreOptions = {}): (rel: string, isDirectory: boolean) => boolean {
  // gitOnly: case-sensitive, as git matches unless core.ignorecase is set (then git ignores more): never less watched than git reports.
  const rules = ignore({ ignorecase: options.gitOnly !== true });
  for (const file of options.gitOnly ? ['.gitignore'] : ['.gitignore', '.nxignore']) {
    try {
      rules.add(readFileSync(join(root, file), 'utf8'));
    } catch {
      // none
    }
  }
  const outputs = (options.outputs ?? []).map(literalPrefix).filter((p) => p !== '');
  return (rel, isDirectory) => {
    if (rel === '' || rel === '..' || rel.startsWith('../')) return false;
    if (rel === '.git' || rel.startsWith('.git/')) return !options.gitState || !GIT_KEPT.test(rel);
    if (rel === '.kiln') return false;
    if (rel.startsWith('.kiln/')) return !(rel === BARRIER_DIR || rel.startsWith(`${BARRIER_DIR}/`));
    if (options.tracked?.has(rel)) return false;
    if (!options.gitOnly && (rel === 'node_modules' || rel.startsWith('node_modules/') || rel.includes('/node_modules/') || rel.endsWith('/node_modules'))) return true;
    if (outputs.some((o) => rel === o || rel.startsWith(`${o}/`))) return true;
    return rules.ignores(isDirectory ? `${rel}/` : rel);
  };
}

/** An output glob up to its first wildcard (`dist/**` → `dist`), without `{workspaceRoot}/` or a trailing slash. */
function literalPrefix(pattern: string): string {
  const plain = pattern.replace(/^\{workspaceRoot\}\//, '').replace(/^\.\//, '');
  const wild = plain.search(/[*?[{!]/);
  const cut = wild === -1 ? plain : plain.slice(0, plain.lastIndexOf('/', wild) + 1);
  return cut.replace(/\/+$/, '');
}
