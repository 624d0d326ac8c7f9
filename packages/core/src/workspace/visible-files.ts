/**
 * The files Nx sees: the listed files, sorted, without what `.nxignore` hides (with .gitignore
 * rules, from projects and the file map alike). One list for the graph, affected, inputs and
 * owners. Pure: the caller reads `.nxignore`.
 */
import { createRequire } from 'node:module';
import type { RepoPath } from '../model/index.js';

/** `listedFiles` sorted, without what `.nxignore` (read through `read`) hides. */
export function visibleFiles(listedFiles: readonly string[], read: (path: string) => string | undefined): readonly RepoPath[] {
  const listed = (isSorted(listedFiles) ? listedFiles : [...listedFiles].sort()) as readonly RepoPath[];
  const nxignore = listed.includes('.nxignore' as RepoPath) ? read('.nxignore') : undefined;
  return nxignore === undefined ? listed : ignoreFilter(nxignore, listed);
}

function ignoreFilter(rules: string, files: readonly RepoPath[]): RepoPath[] {
  // Loaded only for a workspace with a .nxignore.
  const ignore = createRequire(import.meta.url)('ignore') as typeof import('ignore');
  const ig = ignore().add(rules);
  return files.filter((f) => !ig.ignores(f));
}

function isSorted(list: readonly string[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i - 1]! > list[i]!) return false;
  return true;
}

