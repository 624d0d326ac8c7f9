/**
 * The workspace reader's edge: finds the workspace root, lists its files (git when it is a git
 * repository, fast-glob otherwise) and reads config files for the pure `buildWorkspace`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import fg from 'fast-glob';
import { diagnostic, KilnError, type RepoPath } from '../model/index.js';
import { buildWorkspace } from './projects.js';
import { isObject } from './validate.js';
import type { Workspace } from './types.js';

/**
 * The workspace root for `cwd`: the nearest directory upward holding nx.json; failing that, the
 * nearest holding pnpm-workspace.yaml or a package.json with `workspaces`; failing that, the
 * nearest with a package.json.
 */
export function findWorkspaceRoot(cwd: string): string | undefined {
  let nearestPackage: string | undefined;
  let nearestWorkspaces: string | undefined;
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (nearestWorkspaces === undefined) {
      if (existsSync(join(dir, 'pnpm-workspace.yaml'))) nearestWorkspaces = dir;
      else if (existsSync(join(dir, 'package.json'))) {
        nearestPackage ??= dir;
        try {
          const pkg: unknown = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
          if (isObject(pkg) && pkg.workspaces !== undefined) nearestWorkspaces = dir;
        } catch {
          // A broken package.json is reported when the workspace is read; here it just is not a root.
        }
      }
    }
    if (dirname(dir) === dir) break;
  }
  return nearestWorkspaces ?? nearestPackage;
}

/** Workspace files outside git, repo-relative, without node_modules and build output (inside git, `scm.listFiles` lists them). */
export async function globWorkspaceFiles(root: string): Promise<RepoPath[]> {
  const files = await fg('**/*', { cwd: root, dot: true, ignore: ['**/node_modules/**', '**/.git/**', '**/.nx/**', '**/.kiln/**', '**/dist/**'], followSymbolicLinks: false });
  return files as RepoPath[];
}

/** The workspace root for `cwd`, or a KilnError saying how to get one. */
export function requireWorkspaceRoot(cwd: string): string {
  const root = findWorkspaceRoot(cwd);
  if (root === undefined)
    throw new KilnError(
      diagnostic('no-workspace', `no workspace found at or above ${cwd}.`, {
        hint: 'Run kiln inside a workspace: a directory with nx.json, or a package.json with "workspaces", or pnpm-workspace.yaml.',
      }),
    );
  return root;
}

/**
 * Reads the workspace at `root` from its listed `files`; configuration problems throw a KilnError
 * listing all of them (exit 2), with paths relative to `cwd`.
 */
export function readWorkspace(root: string, files: readonly string[], cwd: string = root): Workspace {
  const read = (path: string): string | undefined => {
    try {
      return readFileSync(join(root, path), 'utf8');
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
