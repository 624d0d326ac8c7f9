/**
 * Finding the workspace root: the one part of reading a workspace every command needs first, kept
 * apart from the readers and parsers so that loading it costs nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { diagnostic, KilnError } from '../model/diagnostic.js'; // not the index: on `kiln run`'s fast path
import { parseJson } from './json.js';
import { isObject } from './validate.js';

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
        // A broken package.json is reported when the workspace is read; here it just is not a root.
        const pkg = parseJson(readText(join(dir, 'package.json')) ?? '', 'package.json');
        if (pkg.ok && isObject(pkg.value.value) && pkg.value.value.workspaces !== undefined) nearestWorkspaces = dir;
      }
    }
    if (dirname(dir) === dir) break;
  }
  return nearestWorkspaces ?? nearestPackage;
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

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
