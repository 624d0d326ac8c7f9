import type { DependencyGraph, Reason, Touch } from './types.js';

export interface AffectedProjects {
  /** Affected project names, sorted. */
  readonly projects: readonly string[];
  /** Every reason for each affected project, in a stable order. */
  readonly reasons: ReadonlyMap<string, readonly Reason[]>;
  /** For a project reached through a dependency: the dependency on a shortest chain back to a touched project. */
  readonly via: ReadonlyMap<string, string>;
  /** Touches naming projects the graph does not have (for example removed ones); the caller decides. */
  readonly unknown: readonly Touch[];
}

/**
 * The affected closure: touched projects and everything that depends on them, through reverse
 * edges, breadth first so each project's `via` lies on a shortest chain. Every dependency edge into
 * an affected project adds a `dependency` reason. A global reason marks every project and stops
 * the walk (each project is then affected for that reason alone, plus its own direct touches).
 */
export function affectedClosure(graph: DependencyGraph, touches: readonly Touch[], global: readonly Reason[] = []): AffectedProjects {
  const names = new Set(graph.projects.map((p) => p.name));
  const reasons = new Map<string, Reason[]>();
  const unknown: Touch[] = [];
  for (const t of touches) (names.has(t.project) ? addReason(reasons, t.project, t.reason) : unknown.push(t));
  let via = new Map<string, string>();
  if (global.length > 0) {
    for (const name of names) for (const g of global) addReason(reasons, name, g);
  } else {
    via = spreadToDependents(reasons, graph.dependents ?? invertEdges(graph.dependencies), (d) => names.has(d));
  }
  const sorted = sortedReasons(reasons);
  return { projects: [...sorted.keys()], reasons: sorted, via, unknown };
}

export function addReason(reasons: Map<string, Reason[]>, key: string, reason: Reason): void {
  let list = reasons.get(key);
  if (!list) reasons.set(key, (list = []));
  list.push(reason);
}

/** Reverse edges: each node mapped to the nodes that depend on it. */
export function invertEdges(dependencies: Iterable<readonly [string, readonly string[]]>): Map<string, string[]> {
  const dependents = new Map<string, string[]>();
  for (const [from, tos] of dependencies)
    for (const to of tos) {
      let list = dependents.get(to);
      if (!list) dependents.set(to, (list = []));
      list.push(from);
    }
  return dependents;
}

/**
 * Walks breadth first along `dependents` from every key that already has a reason, giving each
 * dependent that `include` accepts a `dependency` reason per edge into it. Returns `via`: for each
 * node reached, its predecessor on a shortest chain back to a node with a reason of its own.
 */
export function spreadToDependents(
  reasons: Map<string, Reason[]>,
  dependents: ReadonlyMap<string, readonly string[]>,
  include: (node: string) => boolean = () => true,
): Map<string, string> {
  const via = new Map<string, string>();
  const queue = [...reasons.keys()].sort();
  const seen = new Set(queue);
  for (let i = 0; i < queue.length; i++) {
    const on = queue[i]!;
    for (const d of [...(dependents.get(on) ?? [])].sort()) {
      if (!include(d)) continue;
      addReason(reasons, d, { kind: 'dependency', on });
      if (!seen.has(d)) {
        seen.add(d);
        via.set(d, on);
        queue.push(d);
      }
    }
  }
  return via;
}

/** The reasons by key, keys sorted, each list deduplicated and in a stable order. */
export function sortedReasons(reasons: ReadonlyMap<string, readonly Reason[]>): Map<string, Reason[]> {
  const sorted = new Map<string, Reason[]>();
  for (const key of [...reasons.keys()].sort()) sorted.set(key, dedupe(reasons.get(key)!).sort(compareReasons));
  return sorted;
}

const order: Record<Reason['kind'], number> = { file: 0, lockfile: 1, global: 2, dependency: 3 };

export function reasonKey(r: Reason): string {
  switch (r.kind) {
    case 'file':
      return r.file;
    case 'dependency':
      return r.on;
    case 'global':
      return `${r.file}\0${r.detail}`;
    case 'lockfile':
      return `${r.package}\0${r.file}`;
  }
}

export function compareReasons(a: Reason, b: Reason): number {
  if (a.kind !== b.kind) return order[a.kind] - order[b.kind];
  const ka = reasonKey(a);
  const kb = reasonKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function dedupe(list: readonly Reason[]): Reason[] {
  const seen = new Set<string>();
  return list.filter((r) => {
    const k = `${r.kind}\0${reasonKey(r)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** One reason in words: `libs/a/x.ts (changed)`, `lodash (lockfile package-lock.json: 4.17.20 → 4.17.21, via express)`. */
export function describeReason(r: Reason): string {
  switch (r.kind) {
    case 'file':
      return `${r.file} (${r.detail ?? 'changed'})`;
    case 'dependency':
      return `${r.on} (dependency)`;
    case 'global':
      return `${r.file} (global: ${r.detail})`;
    case 'lockfile': {
      const versions = r.before && r.after ? (r.detail ? `: ${r.after.join(', ')}, ${r.detail}` : `: ${r.before.join(', ') || 'none'} → ${r.after.join(', ') || 'none'}`) : '';
      const via = r.via && r.via.length > 0 ? `, via ${r.via.join(' <- ')}` : '';
      return `${r.package} (external package in ${r.file}${versions}${via})`;
    }
  }
}

/**
 * The chain a person reads: `payroll <- connection (dependency) <- services/connection/src/pool.ts (changed)`.
 * Follows `via` back to a directly touched project and ends with its first direct reason.
 */
export function explainChain(result: Pick<AffectedProjects, 'reasons' | 'via'>, project: string): string {
  const parts = [project];
  const seen = new Set([project]);
  let at = project;
  for (let next = result.via.get(at); next !== undefined && !seen.has(next); next = result.via.get(at)) {
    parts.push(`${next} (dependency)`);
    seen.add(next);
    at = next;
  }
  const direct = (result.reasons.get(at) ?? []).find((r) => r.kind !== 'dependency');
  if (direct) parts.push(describeReason(direct));
  return parts.join(' <- ');
}
