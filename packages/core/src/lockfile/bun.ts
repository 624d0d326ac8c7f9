import { diagnostic, err, ok, type Diagnostic, type Result } from '../model/index.js';
import { jsonDocument } from './located.js';
import type { LockedPackage, Lockfile } from './types.js';

type Deps = Record<string, string>;
interface BunInfo {
  dependencies?: Deps;
  devDependencies?: Deps;
  optionalDependencies?: Deps;
  peerDependencies?: Deps;
}
interface BunWorkspace extends BunInfo {
  name?: string;
}
interface BunDoc {
  lockfileVersion?: number;
  workspaces?: Record<string, BunWorkspace>;
  packages?: Record<string, unknown[]>;
}

interface Entry {
  readonly name: string;
  /** What follows `name@` in the tuple's first element: a version, or `workspace:dir`, `github:…`, `file:…`. */
  readonly spec: string;
  readonly info: BunInfo;
  readonly integrity: string | undefined;
}

/**
 * Parses bun's text lockfile `bun.lock` (bun 1.2 and later; JSONC with trailing commas).
 * `workspaces` gives each workspace directory (`""` for the root) and what it declares; `packages`
 * maps an install key to a tuple: `[ "name@version", registry, info, integrity ]` for registry
 * packages, `[ "name@workspace:dir" ]` for workspace links, `[ "name@github:…", info, tag ]` and
 * the like otherwise. Keys nest as node_modules folders do: `express/qs` is the copy of qs that
 * express gets when the top-level `qs` does not fit, and a workspace's own copy sits under its
 * package name (`web/qs`). A name resolves from a key by trying `key/name`, then each shorter key.
 */
export function parseBunLockfile(text: string, file = 'bun.lock'): Result<Lockfile, Diagnostic> {
  const parsed = jsonDocument(text, file);
  if (!parsed.ok) return parsed;
  const doc = parsed.value as BunDoc;
  if (typeof doc !== 'object' || doc === null || typeof doc.lockfileVersion !== 'number' || typeof doc.packages !== 'object' || doc.packages === null)
    return err(
      diagnostic('lockfile-unsupported', `${file} has no "lockfileVersion" and "packages"; kiln reads bun's text lockfile (bun 1.2 and later).`, {
        location: { file },
        hint: 'A binary bun.lockb cannot be read: run `bun install --save-text-lockfile` to write bun.lock.',
      }),
    );

  const entries = new Map<string, Entry>();
  for (const [key, tuple] of Object.entries(doc.packages)) {
    if (!Array.isArray(tuple) || typeof tuple[0] !== 'string') continue;
    const ident = tuple[0];
    const at = ident.indexOf('@', 1);
    if (at === -1) continue;
    const info = (tuple.find((v, i) => i > 0 && typeof v === 'object' && v !== null && !Array.isArray(v)) ?? {}) as BunInfo;
    const last = tuple.at(-1);
    entries.set(key, { name: ident.slice(0, at), spec: ident.slice(at + 1), info, integrity: tuple.length > 2 && typeof last === 'string' ? last : undefined });
  }
  const isLink = (key: string): boolean => entries.get(key)!.spec.startsWith('workspace:');
  /** The key `name` resolves to from `from` (`''`: the top), or undefined. */
  const resolve = (from: string, name: string): string | undefined => {
    for (let prefix = from; ; prefix = parentKey(prefix)) {
      const key = prefix === '' ? name : `${prefix}/${name}`;
      if (entries.has(key)) return key;
      if (prefix === '') return undefined;
    }
  };

  const packages = new Map<string, LockedPackage>();
  const edges = new Map<string, ReadonlyMap<string, string>>();
  for (const [key, entry] of entries) {
    if (isLink(key)) continue;
    const out = new Map<string, string>();
    for (const name of declared(entry.info, false)) {
      const to = resolve(key, name);
      if (to !== undefined && !isLink(to)) out.set(name, to);
    }
    edges.set(key, out);
    packages.set(key, { id: key, name: entry.name, version: entry.spec, integrity: entry.integrity, dependencies: [...out.keys()] });
  }

  const importers = new Map<string, readonly string[]>();
  const importerResolutions = new Map<string, ReadonlyMap<string, string>>();
  for (const [path, workspace] of Object.entries(doc.workspaces ?? {})) {
    if (typeof workspace !== 'object' || workspace === null) continue;
    const dir = path === '.' ? '' : path.replace(/^\.\//, '').replace(/\/$/, '');
    const names = declared(workspace, true);
    const resolved = new Map<string, string>();
    for (const name of names) {
      const to = resolve(dir === '' ? '' : (workspace.name ?? ''), name);
      // A workspace link (or a name bun did not pin) resolves to '' so resolution stops there.
      resolved.set(name, to === undefined || isLink(to) ? '' : to);
    }
    importers.set(dir, names);
    importerResolutions.set(dir, resolved);
  }
  return ok({ kind: 'bun', packages, importers, importerResolutions, edges });
}

function declared(info: BunInfo, withDev: boolean): string[] {
  const groups = [info.dependencies, info.optionalDependencies, info.peerDependencies, withDev ? info.devDependencies : undefined];
  return [...new Set(groups.flatMap((g) => (g && typeof g === 'object' ? Object.keys(g) : [])))].sort();
}

/** `express/@types/qs` → `express`; `@scope/a/b` → `@scope/a`; `qs` → `` (package names may hold one `/`). */
function parentKey(key: string): string {
  const parts = key.split('/');
  const names: string[] = [];
  for (let i = 0; i < parts.length; i++) names.push(parts[i]!.startsWith('@') && i + 1 < parts.length ? `${parts[i]}/${parts[++i]}` : parts[i]!);
  return names.slice(0, -1).join('/');
}
