/**
 * Moves the process into the workspace that contains `cwd`, for a command-line process that
 * reads many of its files: the scans then open paths relative to the working directory, which
 * the kernel resolves faster than absolute ones (see `cwdRelativePrefix`). Callers keep `cwd`
 * itself for whatever the user named relative to it. Light on purpose: the CLI calls it first.
 */
import { findWorkspaceRoot } from '../workspace/find-root.js';

/** The workspace root it moved to, or undefined (no workspace, or the directory cannot be entered). */
export function enterWorkspace(cwd: string): string | undefined {
  const root = findWorkspaceRoot(cwd);
  if (root === undefined) return undefined;
  try {
    process.chdir(root);
    return root;
  } catch {
    return undefined;
  }
}
