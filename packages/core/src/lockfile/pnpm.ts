import { diagnostic, err, ok, type Diagnostic, type Result } from '../model/index.js';
import { yamlDocuments } from './located.js';
import type { LockedPackage, Lockfile } from './types.js';

type DepMap = Record<string, string | { version?: string }>;
interface PnpmImporter {
  dependencies?: DepMap;
  devDependencies?: DepMap;
  optionalDependencies?: DepMap;
}
interface PnpmPackage {
  name?: string;
  version?: string;
  resolution?: { integrity?: string; tarball?: string; commit?: string; repo?: string; directory?: string };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
interface PnpmDoc extends PnpmImporter {
  lockfileVersion?: string | number;
  importers?: Record<string, PnpmImporter>;
  packages?: Record<string, PnpmPackage>;
  snapshots?: Record<string, PnpmPackage>;
}

/**
 * Parses `pnpm-lock.yaml`, lockfile versions 5.x, 6.x and 9.x. In v9 the resolution lives in
 * `packages` and the dependency edges in `snapshots` (keys with peer suffixes); in v6 both are in
 * `packages` under `/name@version(peers)` keys; in v5 keys are `/name/version_peers`.
 *
 * pnpm 11 and later may write two YAML documents: first the env lockfile (config dependencies and
 * pnpm itself, under `configDependencies` and `packageManagerDependencies`), then the project
 * lockfile, which is always last. kiln reads the last document, as Nx does: pnpm's own version is
 * not a dependency of any project.
 */
export function parsePnpmLockfile(text: string, file = 'pnpm-lock.yaml'): Result<Lockfile, Diagnostic> {
  const docs = yamlDocuments(text, file);
  if (!docs.ok) return docs;
  const doc = (docs.value.at(-1) ?? {}) as PnpmDoc;
  if (typeof doc !== 'object' || doc === null || doc.lockfileVersion === undefined)
    return err(
      diagnostic('lockfile-unsupported', `${file} has no lockfileVersion; kiln reads pnpm lockfile versions 5, 6 and 9.`, {
        location: { file },
        hint: 'Until it can be read, kiln affected counts every project as affected by a change to it.',
      }),
    );

  const resolutions = doc.packages ?? {};
  const snapshots = doc.snapshots ?? doc.packages ?? {};
  const keys = new Set(Object.keys(snapshots));
  const toId = (name: string, ref: string): string | undefined => {
    if (ref.startsWith('link:')) return undefined;
    for (const candidate of [`${name}@${ref}`, `/${name}@${ref}`, `/${name}/${ref}`, ref, `/${ref}`]) if (keys.has(candidate)) return candidate;
    return undefined;
  };

  const packages = new Map<string, LockedPackage>();
  const edges = new Map<string, ReadonlyMap<string, string>>();
  for (const [key, snap] of Object.entries(snapshots)) {
    const snapshot = snap ?? {};
    const bare = stripPeers(key);
    const res = (resolutions[bare] ?? resolutions[key] ?? snapshot).resolution;
    const parsed = splitKey(bare);
    const deps = new Map<string, string>();
    for (const [dep, ref] of [...Object.entries(snapshot.dependencies ?? {}), ...Object.entries(snapshot.optionalDependencies ?? {})]) {
      const id = toId(dep, String(ref));
      if (id !== undefined) deps.set(dep, id);
    }
    edges.set(key, deps);
    packages.set(key, {
      id: key,
      name: snapshot.name ?? resolutions[bare]?.name ?? parsed.name,
      version: String(snapshot.version ?? resolutions[bare]?.version ?? parsed.version),
      integrity: res?.integrity ?? res?.tarball ?? (res?.commit !== undefined ? `${res.repo ?? ''}#${res.commit}` : undefined),
      dependencies: [...deps.keys()].sort(),
      ...(bare !== key && { peers: key.slice(bare.length) }),
    });
  }

  const importerDocs: Record<string, PnpmImporter> = doc.importers ?? { '.': doc };
  const importers = new Map<string, readonly string[]>();
  const importerResolutions = new Map<string, ReadonlyMap<string, string>>();
  for (const [path, importer] of Object.entries(importerDocs)) {
    const dir = path === '.' ? '' : path.replace(/^\.\//, '').replace(/\/$/, '');
    const resolved = new Map<string, string>();
    const names: string[] = [];
    for (const group of [importer.dependencies, importer.devDependencies, importer.optionalDependencies]) {
      for (const [name, value] of Object.entries(group ?? {})) {
        const ref = typeof value === 'string' ? value : String(value?.version ?? '');
        names.push(name);
        // A workspace link resolves to '' so resolution stops there: it is a project-graph edge.
        resolved.set(name, toId(name, ref) ?? '');
      }
    }
    importers.set(dir, [...new Set(names)].sort());
    importerResolutions.set(dir, resolved);
  }
  return ok({ kind: 'pnpm', packages, importers, importerResolutions, edges });
}

/** `/react-dom@18.2.0(react@18.2.0)` → `/react-dom@18.2.0`; v5's `_peer` suffix is kept (it never strips cleanly). */
function stripPeers(key: string): string {
  const paren = key.indexOf('(');
  return paren === -1 ? key : key.slice(0, paren);
}

/** Name and version from a package key in any of the three syntaxes. */
function splitKey(key: string): { name: string; version: string } {
  const k = key.startsWith('/') ? key.slice(1) : key;
  const at = k.indexOf('@', 1);
  if (at !== -1) return { name: k.slice(0, at), version: k.slice(at + 1) };
  // v5: `name/version` or `@scope/name/version`.
  const parts = k.split('/');
  const cut = k.startsWith('@') ? 2 : 1;
  return { name: parts.slice(0, cut).join('/'), version: parts.slice(cut).join('/') };
}

/** pnpm's resolution: the importer at `dir`, else the nearest ancestor importer that declares `name`. */
export function resolvePnpm(lock: Lockfile, dir: string, name: string): string | undefined {
  let d = dir;
  for (;;) {
    const id = lock.importerResolutions?.get(d)?.get(name);
    if (id !== undefined) return id === '' ? undefined : id;
    if (d === '') return undefined;
    const slash = d.lastIndexOf('/');
    d = slash === -1 ? '' : d.slice(0, slash);
  }
}
