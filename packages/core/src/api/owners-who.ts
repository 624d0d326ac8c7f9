/** `kiln owners who PATH...`: the owners of each path, with the lines that decided them. */
import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
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
    const directory = /[\\/]$/.test(given) || path === '' || isDirectory(full);
    const owned = directory ? loaded.matcher.ownersOfDirectory(path) : loaded.matcher.ownersOf(path);
    return { path, directory, owners: owned.owners, matches: owned.matches };
  });
  return { loaded, results };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
