// The index alone, not graph/'s index.ts: a warm `kiln affected` never loads the graph builder.
import { ProjectIndex } from '../graph/project-index.js';
import { toRepoPath } from '../model/index.js';
import type { ChangedFile, ProjectRef, Touch } from './types.js';

/**
 * Projects touched by changed files through ownership. Both paths of a rename count, and each
 * path is looked up in the projects as they are now (or their index, when the caller built it
 * already) and, when given, as they were at the base (so a deleted or moved project config still
 * touches what it used to define).
 */
export function touchesFromFiles(
  changes: readonly ChangedFile[],
  projects: readonly ProjectRef[] | ProjectIndex,
  baseProjects?: readonly ProjectRef[],
): Touch[] {
  const indexes = [projects instanceof ProjectIndex ? projects : new ProjectIndex(projects), ...(baseProjects ? [new ProjectIndex(baseProjects)] : [])];
  const out: Touch[] = [];
  const seen = new Set<string>();
  for (const change of changes) {
    for (const file of change.from !== undefined ? [change.from, change.path] : [change.path]) {
      for (const index of indexes) {
        const owner = index.projectOf(file);
        const key = `${owner}\0${file}`;
        if (owner === undefined || seen.has(key)) continue;
        seen.add(key);
        out.push({ project: owner, reason: { kind: 'file', file } });
      }
    }
  }
  return out;
}

/** Every changed path, both sides of renames included, sorted and distinct. */
export function changedPaths(changes: readonly ChangedFile[]): string[] {
  const set = new Set<string>();
  for (const c of changes) {
    set.add(c.path);
    if (c.from !== undefined) set.add(c.from);
  }
  return [...set].sort();
}

/** Changed files given as paths (`--files`): repo paths, distinct and sorted, each as modified. */
export function changesOfPaths(files: readonly string[]): ChangedFile[] {
  return [...new Set(files.map((f) => toRepoPath(f)).filter((f): f is NonNullable<typeof f> => f !== undefined && f !== ''))]
    .sort()
    .map((path) => ({ status: 'modified' as const, path }));
}
