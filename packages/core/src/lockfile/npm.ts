import { diagnostic, err, ok, type Diagnostic, type Result } from '../model/index.js';
import { jsonDocument } from './located.js';
import type { LockedPackage, Lockfile } from './types.js';

interface NpmEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const MARK = 'node_modules/';

/**
 * Parses an npm `package-lock.json` (lockfileVersion 2 or 3, which carry the flat `packages`
 * map keyed by install path). Version 1 lockfiles (a nested `dependencies` tree only) are refused
 * with a diagnostic, so the caller can fall back to treating the change as global.
 */
export function parseNpmLockfile(text: string, file = 'package-lock.json'): Result<Lockfile, Diagnostic> {
  let doc: { lockfileVersion?: number; packages?: Record<string, NpmEntry> };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    // The one JSON reader says where (it is slower, so only on failure).
    const located = jsonDocument(text, file);
    if (!located.ok) return located;
    doc = located.value as typeof doc;
  }
  if (typeof doc !== 'object' || doc === null || typeof doc.packages !== 'object' || doc.packages === null)
    return err(
      diagnostic('lockfile-unsupported', `${file} has no "packages" map (lockfileVersion ${String(doc?.lockfileVersion)}); kiln reads lockfileVersion 2 and 3.`, {
        location: { file },
        hint: 'Regenerate it with npm 7 or later (`npm install --package-lock-only`).',
      }),
    );
  const packages = new Map<string, LockedPackage>();
  const importers = new Map<string, readonly string[]>();
  const links = new Set<string>();
  for (const [key, entry] of Object.entries(doc.packages)) {
    if (typeof entry !== 'object' || entry === null) continue;
    const at = key.lastIndexOf(MARK);
    if (at === -1 || (at > 0 && key[at - 1] !== '/')) {
      // `''` (the root) or a workspace folder such as `packages/a`.
      importers.set(key, declaredNames(entry, true));
      continue;
    }
    if (entry.link) {
      links.add(key);
      continue;
    }
    const name = entry.name ?? key.slice(at + MARK.length);
    packages.set(key, {
      id: key,
      name,
      version: entry.version ?? '',
      integrity: entry.integrity ?? entry.resolved,
      dependencies: declaredNames(entry, false),
    });
  }
  return ok({ kind: 'npm', packages, importers, links });
}

function declaredNames(entry: NpmEntry, withDev: boolean): string[] {
  const names = new Set<string>([
    ...Object.keys(entry.dependencies ?? {}),
    ...Object.keys(entry.optionalDependencies ?? {}),
    ...Object.keys(entry.peerDependencies ?? {}),
    ...(withDev ? Object.keys(entry.devDependencies ?? {}) : []),
  ]);
  return [...names].sort();
}

/**
 * Node's resolution over npm's install paths: from `dir`, try `dir/node_modules/name`, then each
 * parent's. Returns the instance id, or undefined when the name is a workspace link or missing.
 */
export function resolveNpm(lock: Lockfile, dir: string, name: string): string | undefined {
  let d = dir;
  for (;;) {
    const key = d === '' ? `${MARK}${name}` : `${d}/${MARK}${name}`;
    if (lock.packages.has(key)) return key;
    if (lock.links?.has(key)) return undefined;
    if (d === '') return undefined;
    const slash = d.lastIndexOf('/');
    d = slash === -1 ? '' : d.slice(0, slash);
  }
}
