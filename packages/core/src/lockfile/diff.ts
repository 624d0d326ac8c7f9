import type { LockedPackage, Lockfile } from './types.js';
import { resolveNpm } from './npm.js';
import { resolvePnpm } from './pnpm.js';

/** The instance `name` resolves to when required from `dir` (repo-relative), or undefined (missing or a workspace link). */
export function resolveFrom(lock: Lockfile, dir: string, name: string): string | undefined {
  return lock.kind === 'npm' ? resolveNpm(lock, dir, name) : resolvePnpm(lock, dir, name);
}

/**
 * Every instance `name` may resolve to from `dir`: the one resolution when the lockfile pins it
 * (npm, pnpm, bun, yarn Berry's workspaces); for classic yarn.lock, which lists no workspaces,
 * every pinned instance of that name (a safe over-approximation).
 */
export function resolveAllFrom(lock: Lockfile, dir: string, name: string): string[] {
  const id = resolveFrom(lock, dir, name);
  if (id !== undefined || lock.kind !== 'yarn' || lock.importerResolutions !== undefined) return id === undefined ? [] : [id];
  return [...lock.packages.values()]
    .filter((p) => p.name === name)
    .map((p) => p.id)
    .sort();
}

/** An instance's dependencies: name → the instance it resolves to, in name order. */
export function dependencyEdges(lock: Lockfile, id: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of lock.packages.get(id)?.dependencies ?? []) {
    const to = lock.kind === 'npm' ? resolveNpm(lock, id, name) : lock.edges?.get(id)?.get(name);
    if (to !== undefined) out.set(name, to);
  }
  return out;
}

/** The resolved instance ids an instance depends on, in name order. */
export function dependencyIds(lock: Lockfile, id: string): string[] {
  return [...dependencyEdges(lock, id).values()];
}

/** What an instance is: name, version, pnpm peer suffix and integrity. Where it is installed is not part of it. */
export const identityOf = (p: LockedPackage): string => `${p.name}@${p.version}${p.peers ?? ''}#${p.integrity ?? ''}`;
/** The same without the peer suffix: the package itself, whichever peers it was resolved with. */
const bareIdentityOf = (p: LockedPackage): string => `${p.name}@${p.version}#${p.integrity ?? ''}`;

/** An external package whose pinned versions or integrity differ between two lockfiles. */
export interface PackageChange {
  readonly name: string;
  /** Sorted distinct versions in the old lockfile (empty: added). */
  readonly before: readonly string[];
  /** Sorted distinct versions in the new lockfile (empty: removed). */
  readonly after: readonly string[];
}

/**
 * Why an instance counts as changed: no instance on the other side is the same package at the
 * same version and integrity (`own`), or it is, but one of its dependencies (`name`) now resolves
 * to another instance that is itself unchanged (a re-resolution; the versions are that dependency's).
 */
export type ChangeCause = { readonly kind: 'own' } | { readonly kind: 'dependency'; readonly name: string; readonly before: readonly string[]; readonly after: readonly string[] };

export interface LockfileDiff {
  readonly before: Lockfile;
  readonly after: Lockfile;
  /** Packages with a changed instance, by name. */
  readonly changed: readonly PackageChange[];
  /** Changed instance ids in `before` (gone or re-resolved), and in `after` (new or re-resolved), with why. */
  readonly changedBefore: ReadonlyMap<string, ChangeCause>;
  readonly changedAfter: ReadonlyMap<string, ChangeCause>;
}

/**
 * Compares two lockfiles instance by instance. An instance is identified by what it is (name,
 * version, integrity, and pnpm's peer suffix), not where it is installed, so hoisting moves are
 * not changes. An instance is changed when no instance in the other lockfile is the same package
 * at the same version, or when one of its dependencies now resolves to another instance that is
 * itself unchanged (a re-resolution, which no changed instance would otherwise explain).
 */
export function diffLockfiles(before: Lockfile, after: Lockfile): LockfileDiff {
  const b = identities(before);
  const a = identities(after);
  const changedBefore = changedIn(before, b, a, 'before');
  const changedAfter = changedIn(after, a, b, 'after');
  const names = new Set<string>();
  for (const [id, cause] of [...changedBefore]
    .map(([id, c]) => [before.packages.get(id)!, c] as const)
    .concat([...changedAfter].map(([id, c]) => [after.packages.get(id)!, c] as const)))
    names.add(cause.kind === 'own' ? id.name : cause.name);
  const changed = [...names].sort().map((name) => ({ name, before: versionsOf(before, name), after: versionsOf(after, name) }));
  return { before, after, changed, changedBefore, changedAfter };
}

/** Sorted distinct versions of `name` in a lockfile. */
export const versionsOf = (lock: Lockfile, name: string): string[] => [...new Set([...lock.packages.values()].filter((p) => p.name === name).map((p) => p.version))].sort();

interface Identities {
  /** Instance id → dependency name → the dependency's identity. */
  readonly edges: Map<string, Map<string, string>>;
  /** Identity (with peers, and without) → dependency name → the identities it resolves to, over every instance with that identity. */
  readonly edgesByIdentity: Map<string, Map<string, Set<string>>>;
  readonly bare: Set<string>;
  /** Identity → one instance that has it (for its version). */
  readonly instance: Map<string, LockedPackage>;
}

function identities(lock: Lockfile): Identities {
  const instance = new Map<string, LockedPackage>();
  for (const p of lock.packages.values()) instance.set(identityOf(p), p);
  const edges = new Map<string, Map<string, string>>();
  const edgesByIdentity = new Map<string, Map<string, Set<string>>>();
  const bare = new Set<string>();
  for (const [id, pkg] of lock.packages) {
    const mine = new Map<string, string>();
    for (const [name, to] of dependencyEdges(lock, id)) mine.set(name, identityOf(lock.packages.get(to)!));
    edges.set(id, mine);
    bare.add(bareIdentityOf(pkg));
    for (const key of new Set([identityOf(pkg), bareIdentityOf(pkg)])) {
      let byName = edgesByIdentity.get(key);
      if (!byName) edgesByIdentity.set(key, (byName = new Map()));
      for (const [name, target] of mine) {
        let set = byName.get(name);
        if (!set) byName.set(name, (set = new Set()));
        set.add(target);
      }
    }
  }
  return { edges, edgesByIdentity, bare, instance };
}

function changedIn(lock: Lockfile, mine: Identities, other: Identities, side: 'before' | 'after'): Map<string, ChangeCause> {
  const changed = new Map<string, ChangeCause>();
  for (const [id, pkg] of lock.packages) {
    if (!other.bare.has(bareIdentityOf(pkg))) {
      changed.set(id, { kind: 'own' });
      continue;
    }
    // The same peer variant on the other side when there is one, else every variant of the package.
    const counterpart = other.edgesByIdentity.get(identityOf(pkg)) ?? other.edgesByIdentity.get(bareIdentityOf(pkg))!;
    for (const [name, target] of mine.edges.get(id)!) {
      const theirs = counterpart.get(name);
      if (!other.instance.has(target) || theirs?.has(target)) continue;
      changed.set(id, dependencyCause(name, [mine.instance.get(target)!.version], versionsAt(other, theirs), side));
      break;
    }
    // A peer variant the other side does not have, each of whose dependencies some other variant
    // had (`x(a@1)(b@2)` beside `x(a@1)(b@1)` and `x(a@2)(b@2)`): the peers named in its suffix changed.
    if (!changed.has(id) && !other.edgesByIdentity.has(identityOf(pkg))) {
      const edges = [...mine.edges.get(id)!];
      const [name, target] = edges.find(([n]) => pkg.peers?.includes(`(${n}@`)) ?? edges[0] ?? [];
      if (name === undefined || target === undefined) changed.set(id, { kind: 'own' });
      else changed.set(id, dependencyCause(name, [mine.instance.get(target)!.version], versionsAt(other, counterpart.get(name)), side));
    }
  }
  return changed;
}

const versionsAt = (side: Identities, ids: ReadonlySet<string> | undefined): string[] => [...new Set([...(ids ?? [])].map((t) => side.instance.get(t)!.version))].sort();

function dependencyCause(name: string, here: string[], there: string[], side: 'before' | 'after'): ChangeCause {
  return { kind: 'dependency', name, before: side === 'before' ? here : there, after: side === 'before' ? there : here };
}
