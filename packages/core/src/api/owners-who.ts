/** `kiln owners who PATH...`: the owners of each path, with the lines that decided them. */
import { lstatSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { diagnostic, KilnError, toRepoPath } from '../model/index.js';
import type { PathOwners } from '../owners/index.js';
import { loadOwners, type CodeownersOptions, type LoadedOwners } from './load-owners.js';

export interface WhoResult {
  /** Repository-relative path (a directory ends without `/`). */
  readonly path: string;
  readonly directory: boolean;
  readonly owners: readonly string[];
  readonly matches: PathOwners['matches'];
}

/**
 * Owners of each path. Paths are relative to `cwd` (or absolute); a directory's owners are those
 * a new file directly inside it would get.
 */
export async function ownersWho(cwd: string, paths: readonly string[], options: CodeownersOptions = {}): Promise<{ loaded: LoadedOwners; results: WhoResult[] }> {
  const loaded = await loadOwners(cwd, options);
  const results = paths.map((given) => {
    const full = isAbsolute(given) ? given : resolve(cwd, given);
    const path = toRepoPath(relative(loaded.root, full));
    if (path === undefined)
      throw new KilnError(diagnostic('path-outside-repository', `${given} is outside the repository at ${loaded.root}.`, { hint: 'Give paths inside the repository.' }));
    const directory = /[\\/]$/.test(given) || path === '' || isTree(full);
    const owned = directory ? loaded.matcher.ownersOfDirectory(path) : loaded.matcher.ownersOf(path);
    return { path, directory, owners: owned.owners, matches: owned.matches };
  });
  return { loaded, results };
}

/**
 * Whether git stores the path as a directory (a tree). A symbolic link is a blob (mode 120000) and a
 * submodule or nested repository a gitlink (160000), whatever they lead to, so GitHub gives each
 * the owners of a file: lstat, and a folder with a `.git` of its own is not a tree.
 */
function isTree(path: string): boolean {
  try {
    return lstatSync(path).isDirectory() && lstatSync(join(path, '.git'), { throwIfNoEntry: false }) === undefined;
  } catch {
    return false;
  }
}
