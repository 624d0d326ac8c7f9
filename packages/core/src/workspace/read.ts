/**
 * The workspace reader's edge: finds the workspace root, lists its files (git when it is a git
 * repository, fast-glob otherwise) and reads config files for the pure `buildWorkspace`.
 */
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { cwdRelativePrefix, KilnError, type RepoPath } from '../model/index.js';
import { buildWorkspace } from './projects.js';
import type { Workspace } from './types.js';

// Finding the root lives in its own light module, so commands that only need the root load no parser.
export { findWorkspaceRoot, requireWorkspaceRoot } from './find-root.js';

/** Workspace files outside git, repo-relative, without node_modules and build output (inside git, `scm.listFiles` lists them). */
export async function globWorkspaceFiles(root: string): Promise<RepoPath[]> {
  const { default: fg } = await import('fast-glob');
  const files = await fg('**/*', { cwd: root, dot: true, ignore: ['**/node_modules/**', '**/.git/**', '**/.nx/**', '**/.kiln/**', '**/dist/**'], followSymbolicLinks: false });
  return files as RepoPath[];
}

/**
 * Reads the workspace at `root` from its listed `files`; configuration problems throw a KilnError
 * listing all of them (exit 2), with paths relative to `cwd`.
 */
export function readWorkspace(root: string, files: readonly string[], cwd: string = root): Workspace {
  const at = cwdRelativePrefix(root);
  const read = (path: string): string | undefined => {
    try {
      return readFileSync(at + path, 'utf8');
    } catch {
      return undefined;
    }
  };
  const result = buildWorkspace({ root, files, read });
  if (!result.ok) throw new KilnError(result.error.map((d) => relocate(d, root, cwd)));
  return result.value;
}

/** Diagnostics name files relative to where the person stands. */
function relocate<T extends { location?: { file: string } }>(d: T, root: string, cwd: string): T {
  if (!d.location) return d;
  const file = relative(resolve(cwd), join(root, d.location.file)) || d.location.file;
  return { ...d, location: { ...d.location, file } };
}
