import { declaredRange } from '../graph/build.js';
import { dependencyIds, resolveFrom, type Lockfile } from '../lockfile/index.js';
import { sha256 } from '../model/index.js';
import type { PackageJsonInfo } from '../workspace/index.js';

/** The version an external package resolves to from a project directory, or undefined when the lockfile does not say. */
export type VersionOf = (dir: string, name: string) => string | undefined;

/**
 * Versions from the workspace's lockfile (npm, pnpm or yarn, as `lockfile/` parsed it), or none
 * without one (the declared range then stands in): `version integrity`, and when the package
 * depends on others, a digest of every package it pulls in (name, version, integrity), as Nx
 * hashes an external package's whole tree. Trees are worked out on first use and kept.
 */
export function lockfileVersions(lock: Lockfile | undefined): VersionOf {
  if (!lock) return () => undefined;
  const pinned = (id: string): string => {
    const pkg = lock.packages.get(id)!;
    return `${pkg.version}${pkg.integrity ? ` ${pkg.integrity}` : ''}`;
  };
  const trees = new Map<string, string>();
  const treeOf = (id: string): string => {
    let t = trees.get(id);
    if (t === undefined) {
      const seen = new Set([id]);
      const pulled = new Set<string>();
      const stack = dependencyIds(lock, id);
      while (stack.length > 0) {
        const next = stack.pop()!;
        if (seen.has(next) || !lock.packages.has(next)) continue;
        seen.add(next);
        pulled.add(`${lock.packages.get(next)!.name}@${pinned(next)}`);
        stack.push(...dependencyIds(lock, next));
      }
      t = pulled.size === 0 ? '' : ` tree ${sha256([...pulled].sort().join('\n')).slice(0, 16)}`;
      trees.set(id, t);
    }
    return t;
  };
  const memo = new Map<string, string | undefined>();
  return (dir, name) => {
    const key = `${dir}\0${name}`;
    if (!memo.has(key)) {
      const id = resolveFrom(lock, dir, name);
      memo.set(key, id !== undefined && lock.packages.has(id) ? `${pinned(id)}${treeOf(id)}` : undefined);
    }
    return memo.get(key);
  };
}

/**
 * The external packages a project's task counts, each with its version: every package the project
 * uses (`used`), or only those `{externalDependencies}` names (`only`, used or not). A package
 * the lockfile does not resolve counts with its declared range, or `*`.
 */
export function externalVersions(
  project: { readonly root: string; readonly packageJson?: PackageJsonInfo },
  used: readonly string[],
  only: readonly string[] | undefined,
  versionOf: VersionOf,
): Record<string, string> {
  const out: Record<string, string> = {};
  const version = (pkg: string): string => versionOf(project.root, pkg) ?? declaredRange(project.packageJson, pkg) ?? '*';
  for (const pkg of used) if (only === undefined || only.includes(pkg)) out[pkg] = version(pkg);
  if (only) for (const pkg of only) out[pkg] ??= version(pkg);
  return out;
}
