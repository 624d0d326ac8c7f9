import type { Lockfile } from './types.js';
import { resolveNpm } from './npm.js';
import { resolvePnpm } from './pnpm.js';

/** The instance `name` resolves to when required from `dir` (repo-relative), or undefined (missing or a workspace link). */
export function resolveFrom(lock: Lockfile, dir: string, name: string): string | undefined {
  return lock.kind === 'npm' ? resolveNpm(lock, dir, name) : resolvePnpm(lock, dir, name);
}

/**
 * Every instance `name` may resolve to from `dir`: the one resolution when the lockfile pins it
 * (npm, pnpm, yarn Berry's workspaces); for classic yarn.lock, which lists no workspaces, every
 * pinned instance of that name (a safe over-approximation).
 */
export function resolveAllFrom(lock: Lockfile, dir: string, name: string): string[] {
  const id = resolveFrom(lock, dir, name);
  if (id !== undefined || lock.kind !== 'yarn' || lock.importerResolutions !== undefined) return id === undefined ? [] : [id];
  return [...lock.packages.values()].filter((p) => p.name === name).map((p) => p.id).sort();
}

/** The resolved instance ids an instance depends on, in name order. */
export function dependencyIds(lock: Lockfile, id: string): string[] {
  const pkg = lock.packages.get(id);
  if (pkg === undefined) return [];
  const out: string[] = [];
  for (const name of pkg.dependencies) {
    const to = lock.kind === 'npm' ? resolveNpm(lock, id, name) : lock.edges?.get(id)?.get(name);
    if (to !== undefined) out.push(to);
  }
  return out;
}

/** An external package whose pinned versions or integrity differ between two lockfiles. */
export interface PackageChange {
  readonly name: string;
  /** Sorted distinct versions in the old lockfile (empty: added). */
  readonly before: readonly string[];
  /** Sorted distinct versions in the new lockfile (empty: removed). */
  readonly after: readonly string[];
}

export interface LockfileDiff {
  readonly before: Lockfile;
  readonly after: Lockfile;
  /** Packages with a changed instance, by name. */
  readonly changed: readonly PackageChange[];
  /** Changed instance ids in `before` (gone or re-resolved), and in `after` (new or re-resolved). */
  readonly changedBefore: ReadonlySet<string>;
  readonly changedAfter: ReadonlySet<string>;
}

/**
 * Compares two lockfiles instance by instance. An instance is identified by what it is, not
 * where it is installed (name, version, integrity), so hoisting moves are not changes. An
 * instance is changed when no instance in the other lockfile is the same, or when one of its
 * dependencies now resolves to another instance that is itself unchanged (a re-resolution, which
 * no changed instance would otherwise explain).
 */
export function diffLockfiles(before: Lockfile, after: Lockfile): LockfileDiff {
  const b = identities(before);
  const a = identities(after);
  const changedBefore = changedIn(before, b, a);
  const changedAfter = changedIn(after, a, b);
  const names = new Set<string>();
  for (const id of changedBefore) names.add(before.packages.get(id)!.name);
  for (const id of changedAfter) names.add(after.packages.get(id)!.name);
  const versions = (lock: Lockfile, name: string): string[] =>
    [...new Set([...lock.packages.values()].filter((p) => p.name === name).map((p) => p.version))].sort();
  const changed = [...names].sort().map((name) => ({ name, before: versions(before, name), after: versions(after, name) }));
  return { before, after, changed, changedBefore, changedAfter };
}

interface Identities {
  /** Instance id → `name@version#integrity`. */
  readonly own: Map<string, string>;
  /** Instance id → its edges as `depName=identity`. */
  readonly edges: Map<string, string[]>;
  /** Identity → the union of edges of every instance with that identity. */
  readonly edgesByIdentity: Map<string, Set<string>>;
}

function identities(lock: Lockfile): Identities {
  const own = new Map<string, string>();
  for (const [id, p] of lock.packages) own.set(id, `${p.name}@${p.version}#${p.integrity ?? ''}`);
  const edges = new Map<string, string[]>();
  const edgesByIdentity = new Map<string, Set<string>>();
  for (const [id, pkg] of lock.packages) {
    const list = pkg.dependencies.map((name) => {
      const to = lock.kind === 'npm' ? resolveNpm(lock, id, name) : lock.edges?.get(id)?.get(name);
      return `${name}=${to === undefined ? '?' : own.get(to)!}`;
    });
    edges.set(id, list);
    const key = own.get(id)!;
    let set = edgesByIdentity.get(key);
    if (!set) edgesByIdentity.set(key, (set = new Set()));
    for (const e of list) set.add(e);
  }
  return { own, edges, edgesByIdentity };
}

function changedIn(lock: Lockfile, mine: Identities, other: Identities): Set<string> {
  const changed = new Set<string>();
  for (const id of lock.packages.keys()) {
    const key = mine.own.get(id)!;
    const counterpart = other.edgesByIdentity.get(key);
    if (counterpart === undefined) {
      changed.add(id);
      continue;
    }
    for (const edge of mine.edges.get(id)!) {
      const target = edge.slice(edge.indexOf('=') + 1);
      const targetUnchanged = target === '?' || other.edgesByIdentity.has(target);
      if (targetUnchanged && !counterpart.has(edge)) {
        changed.add(id);
        break;
      }
    }
  }
  return changed;
}

/** Something that uses external packages: a project, by its root directory and the names it uses. */
export interface Consumer {
  readonly dir: string;
  readonly names: readonly string[];
}

/** Why a consumer is affected: the changed package and the packages between it and the consumer. */
export interface LockfileHit {
  readonly package: string;
  /** The consumer's direct dependency first, down to (not including) the changed package. */
  readonly via: readonly string[];
  readonly before: readonly string[];
  readonly after: readonly string[];
}

/**
 * Which consumers reach a changed instance, in the old or the new lockfile, directly or through
 * other external packages; each with one chain per changed package that explains it.
 */
export function lockfileImpact<K>(diff: LockfileDiff, consumers: ReadonlyMap<K, Consumer>): Map<K, LockfileHit[]> {
  return impact(diff.before, diff.after, diff.changedBefore, diff.changedAfter, diff.changed, consumers, true);
}

/**
 * Which consumers use any of `names`, directly or through other external packages, in either
 * lockfile: for a package.json change (a range or an override) that may not show in the lockfile.
 */
export function consumersOfPackages<K>(
  before: Lockfile,
  after: Lockfile,
  names: ReadonlySet<string>,
  consumers: ReadonlyMap<K, Consumer>,
): Map<K, LockfileHit[]> {
  const named = (lock: Lockfile): Set<string> => new Set([...lock.packages.values()].filter((p) => names.has(p.name)).map((p) => p.id));
  const out = impact(before, after, named(before), named(after), [], consumers, false);
  // A consumer naming the package directly counts even when no lockfile pins it.
  for (const [key, consumer] of consumers)
    for (const name of consumer.names)
      if (names.has(name)) {
        const hits = out.get(key) ?? [];
        if (!hits.some((h) => h.package === name)) hits.push({ package: name, via: [], before: [], after: [] });
        out.set(key, hits.sort((a, b) => (a.package < b.package ? -1 : a.package > b.package ? 1 : 0)));
      }
  return out;
}

function impact<K>(
  before: Lockfile,
  after: Lockfile,
  changedBefore: ReadonlySet<string>,
  changedAfter: ReadonlySet<string>,
  changedList: readonly PackageChange[],
  consumers: ReadonlyMap<K, Consumer>,
  reResolution: boolean,
): Map<K, LockfileHit[]> {
  const nextBefore = towardChange(before, changedBefore);
  const nextAfter = towardChange(after, changedAfter);
  const changes = new Map(changedList.map((c) => [c.name, c]));
  const out = new Map<K, LockfileHit[]>();
  for (const [key, consumer] of consumers) {
    const hits = new Map<string, LockfileHit>();
    const add = (chain: string[]): void => {
      const pkg = chain[chain.length - 1]!;
      if (hits.has(pkg)) return;
      const c = changes.get(pkg);
      hits.set(pkg, { package: pkg, via: chain.slice(0, -1), before: c?.before ?? [], after: c?.after ?? [] });
    };
    for (const name of consumer.names) {
      const idsB = resolveAllFrom(before, consumer.dir, name);
      const idsA = resolveAllFrom(after, consumer.dir, name);
      let found = false;
      for (const [lock, next, ids] of [
        [before, nextBefore, idsB],
        [after, nextAfter, idsA],
      ] as const)
        for (const id of ids) {
          const c = chain(lock, next, id);
          if (c) {
            add(c);
            found = true;
          }
        }
      // The same name now resolves to a different (but unchanged) instance, e.g. a hoisting flip.
      if (reResolution && !found && idents(before, idsB) !== idents(after, idsA)) add([name]);
    }
    if (hits.size > 0) out.set(key, [...hits.values()].sort((a, b) => (a.package < b.package ? -1 : a.package > b.package ? 1 : 0)));
  }
  return out;
}

function idents(lock: Lockfile, ids: readonly string[]): string {
  return ids
    .map((id) => {
      const p = lock.packages.get(id);
      return p === undefined ? '' : `${p.name}@${p.version}#${p.integrity ?? ''}`;
    })
    .sort()
    .join('\n');
}

/** For each instance that reaches a changed one: the next instance on a shortest path to it (itself when changed). */
function towardChange(lock: Lockfile, changed: ReadonlySet<string>): Map<string, string> {
  const reverse = new Map<string, string[]>();
  for (const id of [...lock.packages.keys()].sort())
    for (const to of dependencyIds(lock, id)) {
      let list = reverse.get(to);
      if (!list) reverse.set(to, (list = []));
      list.push(id);
    }
  const next = new Map<string, string>();
  const queue = [...changed].sort();
  for (const id of queue) next.set(id, id);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    for (const from of reverse.get(id) ?? [])
      if (!next.has(from)) {
        next.set(from, id);
        queue.push(from);
      }
  }
  return next;
}

function chain(lock: Lockfile, next: Map<string, string>, start: string): string[] | undefined {
  if (!next.has(start)) return undefined;
  const names: string[] = [];
  for (let id = start; ; ) {
    names.push(lock.packages.get(id)!.name);
    const to = next.get(id)!;
    if (to === id) return names;
    id = to;
  }
}
