/** `kiln owners who PATH...`: the owners of each path, with the lines that decided them. */
import { lstatSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { diagnostic, KilnError, toRepoPath } from '../model/index.js';
import type { PathOwners } from '../owners/index.js';
import { tracer } from '../trace/index.js';
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
  const step = tracer('owners who');
  const loaded = await loadOwners(cwd, options);
  step(`${loaded.file} read and compiled (${loaded.matcher.parsed.rules.length} rules)`);
  // Where cwd sits in the repository: a relative path is read against it without resolving each of
  // 40,000 paths twice (path.relative resolves both of its arguments).
  const here = toRepoPath(relative(loaded.root, resolve(cwd)));
  const results = paths.map((given) => {
    const path = here !== undefined && !isAbsolute(given) ? toRepoPath(here === '' ? given : `${here}/${given}`) : toRepoPath(relative(loaded.root, resolve(cwd, given)));
    if (path === undefined)
      throw new KilnError(diagnostic('path-outside-repository', `${given} is outside the repository at ${loaded.root}.`, { hint: 'Give paths inside the repository.' }));
    const directory = /[\\/]$/.test(given) || path === '' || isTree(`${loaded.root}/${path}`);
    const owned = directory ? loaded.matcher.ownersOfDirectory(path) : loaded.matcher.ownersOf(path);
    return { path, directory, owners: owned.owners, matches: owned.matches };
  });
  step(`${results.length} paths matched`);
  return { loaded, results };
}

/**
 * Whether git stores the path as a directory (a tree). A symbolic link is a blob (mode 120000) and a
 * submodule or nested repository a gitlink (160000), whatever they lead to, so GitHub gives each
 * the owners of a file: lstat, and a folder with a `.git` of its own is not a tree.
 */
function isTree(path: string): boolean {
  try {
    // A missing path is common (a deleted file); throwIfNoEntry spares an exception for each.
    return lstatSync(path, { throwIfNoEntry: false })?.isDirectory() === true && lstatSync(join(path, '.git'), { throwIfNoEntry: false }) === undefined;
  } catch {
    return false; // ENOTDIR: a file on the way
  }
}
