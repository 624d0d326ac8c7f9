import { dependencyEdges, dependencyIds, identityOf, resolveAllFrom, versionsOf, type ChangeCause, type LockfileDiff } from './diff.js';
import type { Lockfile } from './types.js';

/** Something that uses external packages: a project, by its root directory and the names it uses. */
export interface Consumer {
  readonly dir: string;
  readonly names: readonly string[];
}

/**
 * Why a consumer is affected: the package whose resolution really changed, and the packages
 * between it and the consumer. When a package is re-resolved to another existing version of one
 * of its own dependencies, `package` is that dependency, not the (unchanged) package above it.
 */
export interface LockfileHit {
  readonly package: string;
  /** The consumer's direct dependency first, down to (not including) the changed package. */
  readonly via: readonly string[];
  /** The package's versions before and after (for a re-resolution: the instances on each side). */
  readonly before: readonly string[];
  readonly after: readonly string[];
  /** Set when the versions alone do not show the change: the same version now has another integrity (or source). */
  readonly detail?: string;
}

/**
 * Which consumers reach a changed instance, in the old or the new lockfile, directly or through
 * other external packages; each with one chain per changed package that explains it.
 */
export function lockfileImpact<K>(diff: LockfileDiff, consumers: ReadonlyMap<K, Consumer>): Map<K, LockfileHit[]> {
  const nextBefore = towardChange(diff.before, diff.changedBefore);
  const nextAfter = towardChange(diff.after, diff.changedAfter);
  const out = new Map<K, LockfileHit[]>();
  for (const [key, consumer] of consumers) {
    const hits = new Map<string, LockfileHit>();
    const add = (hit: LockfileHit): void => void (hits.has(hit.package) || hits.set(hit.package, hit));
    for (const name of consumer.names) {
      const idsB = resolveAllFrom(diff.before, consumer.dir, name);
      const idsA = resolveAllFrom(diff.after, consumer.dir, name);
      let found = false;
      for (const [lock, next, ids, causes] of [
        [diff.before, nextBefore, idsB, diff.changedBefore],
        [diff.after, nextAfter, idsA, diff.changedAfter],
      ] as const)
        for (const id of ids) {
          const c = chain(lock, next, id);
          if (!c) continue;
          add(hitOf(diff, lock, c, causes.get(c.at(-1)!)!));
          found = true;
        }
      // The same name now resolves to a different (but unchanged) instance: a hoisting flip, or another peer variant.
      if (!found && idents(diff.before, idsB) !== idents(diff.after, idsA)) add(reResolved(diff.before, idsB, diff.after, idsA, [], name));
    }
    if (hits.size > 0) out.set(key, sortHits([...hits.values()]));
  }
  return out;
}

/**
 * Which consumers use any of `names`, directly or through other external packages, in either
 * lockfile: for a package.json change (a range or an override) that may not show in the lockfile.
 */
export function consumersOfPackages<K>(before: Lockfile, after: Lockfile, names: ReadonlySet<string>, consumers: ReadonlyMap<K, Consumer>): Map<K, LockfileHit[]> {
  const named = (lock: Lockfile): Map<string, ChangeCause> => new Map([...lock.packages.values()].filter((p) => names.has(p.name)).map((p) => [p.id, { kind: 'own' }] as const));
  const diff: LockfileDiff = { before, after, changed: [], changedBefore: named(before), changedAfter: named(after) };
  const nextBefore = towardChange(before, diff.changedBefore);
  const nextAfter = towardChange(after, diff.changedAfter);
  const out = new Map<K, LockfileHit[]>();
  for (const [key, consumer] of consumers) {
    const hits = new Map<string, LockfileHit>();
    for (const name of consumer.names) {
      for (const [lock, next] of [
        [before, nextBefore],
        [after, nextAfter],
      ] as const)
        for (const id of resolveAllFrom(lock, consumer.dir, name)) {
          const c = chain(lock, next, id);
          const pkg = c === undefined ? undefined : lock.packages.get(c.at(-1)!)!.name;
          if (c && pkg !== undefined && !hits.has(pkg)) hits.set(pkg, { package: pkg, via: c.slice(0, -1).map((i) => lock.packages.get(i)!.name), before: [], after: [] });
        }
      // A consumer naming the package directly counts even when no lockfile pins it.
      if (names.has(name) && !hits.has(name)) hits.set(name, { package: name, via: [], before: [], after: [] });
    }
    if (hits.size > 0) out.set(key, sortHits([...hits.values()]));
  }
  return out;
}

const sortHits = (hits: LockfileHit[]): LockfileHit[] => hits.sort((a, b) => (a.package < b.package ? -1 : a.package > b.package ? 1 : 0));

/** The hit for a chain of instance ids ending at a changed one. */
function hitOf(diff: LockfileDiff, lock: Lockfile, ids: readonly string[], cause: ChangeCause): LockfileHit {
  const names = ids.map((id) => lock.packages.get(id)!.name);
  if (cause.kind === 'dependency') return { package: cause.name, via: names, before: cause.before, after: cause.after };
  const pkg = names.at(-1)!;
  const [before, after] = [versionsOf(diff.before, pkg), versionsOf(diff.after, pkg)];
  const same = before.join() === after.join();
  return { package: pkg, via: names.slice(0, -1), before, after, ...(same && { detail: 'same version, another integrity or source' }) };
}

function idents(lock: Lockfile, ids: readonly string[]): string {
  return ids
    .map((id) => identityOf(lock.packages.get(id)!))
    .sort()
    .join('\n');
}

/**
 * Names what really differs between what a name resolved to before and after, when both are
 * unchanged instances: the package's own version, or, for the same version resolved with other
 * peers or dependencies, the first dependency that resolves differently (followed down).
 */
function reResolved(before: Lockfile, idsB: readonly string[], after: Lockfile, idsA: readonly string[], via: string[], name: string): LockfileHit {
  const versions = (lock: Lockfile, ids: readonly string[]) => [...new Set(ids.map((id) => lock.packages.get(id)!.version))].sort();
  const plain: LockfileHit = { package: name, via, before: versions(before, idsB), after: versions(after, idsA) };
  if (idsB.length !== 1 || idsA.length !== 1 || via.length > 16) return plain;
  const [b, a] = [before.packages.get(idsB[0]!)!, after.packages.get(idsA[0]!)!];
  if (b.version !== a.version || b.integrity !== a.integrity) return plain;
  const eb = dependencyEdges(before, b.id);
  const ea = dependencyEdges(after, a.id);
  for (const dep of [...new Set([...eb.keys(), ...ea.keys()])].sort()) {
    const tb = eb.get(dep);
    const ta = ea.get(dep);
    const ib = tb === undefined ? '' : identityOf(before.packages.get(tb)!);
    const ia = ta === undefined ? '' : identityOf(after.packages.get(ta)!);
    if (ib !== ia) return reResolved(before, tb === undefined ? [] : [tb], after, ta === undefined ? [] : [ta], [...via, name], dep);
  }
  return plain;
}

/** For each instance that reaches a changed one: the next instance on a shortest path to it (itself when changed). */
function towardChange(lock: Lockfile, changed: ReadonlyMap<string, unknown>): Map<string, string> {
  const reverse = new Map<string, string[]>();
  for (const id of [...lock.packages.keys()].sort())
    for (const to of dependencyIds(lock, id)) {
      let list = reverse.get(to);
      if (!list) reverse.set(to, (list = []));
      list.push(id);
    }
  const next = new Map<string, string>();
  const queue = [...changed.keys()].sort();
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

/** The instance ids from `start` down to a changed one, or undefined when it reaches none. */
function chain(lock: Lockfile, next: Map<string, string>, start: string): string[] | undefined {
  if (!next.has(start)) return undefined;
  const ids: string[] = [];
  for (let id = start; ;) {
    ids.push(id);
    const to = next.get(id)!;
    if (to === id) return ids;
    id = to;
  }
}
