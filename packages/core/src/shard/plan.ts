/**
 * Splits a task graph into N shards for N CI runners. Pure: the tasks, their dependencies and
 * their weights come in as data, and equal inputs give the equal plan on every machine (every
 * walk is sorted; ties are broken by task id).
 *
 * Every task is owned by exactly one shard. A shard runs its own tasks with their dependencies,
 * as `kiln run` always does: a dependency owned by another shard is *taken along* (listed in
 * `takeAlong`), built again or restored from the cache when its owner has already uploaded it,
 * never waited for. Small connected groups of tasks stay whole in one shard so that take-along
 * copies are rare; groups too large for that are placed task by task, each beside its
 * dependencies when that shard has room.
 */

export interface ShardTask {
  readonly id: string;
  /** Tasks (ids among the input) this one needs first. Others are ignored: they are not part of the work. */
  readonly dependsOn: readonly string[];
  /** Estimated duration in milliseconds (> 0). */
  readonly weight: number;
}

export interface Shard {
  /** 1-based. */
  readonly index: number;
  /** The tasks this shard owns, in id order. */
  readonly tasks: readonly string[];
  /** Sum of the owned tasks' weights. */
  readonly weight: number;
  /** Dependencies of its tasks that another shard owns: built again here (or restored, if already cached), not waited for. */
  readonly takeAlong: readonly string[];
  readonly takeAlongWeight: number;
}

export interface ShardPlan {
  readonly shards: readonly Shard[];
  readonly totalWeight: number;
}

/** A group at most this share of one shard's fair load is kept whole: it stays inside the 1.2× bound. */
const WHOLE_GROUP_SHARE = 0.2;

export function planShards(tasks: readonly ShardTask[], count: number): ShardPlan {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`shard count: expected a whole number >= 1, got ${count}`);
  const byId = new Map<string, ShardTask>();
  for (const t of tasks) {
    if (byId.has(t.id)) throw new RangeError(`task listed twice: ${t.id}`);
    if (!(t.weight > 0) || !Number.isFinite(t.weight)) throw new RangeError(`task ${t.id}: weight must be a positive number, got ${t.weight}`);
    byId.set(t.id, t);
  }
  const depsOf = new Map<string, string[]>();
  for (const t of byId.values()) depsOf.set(t.id, [...new Set(t.dependsOn.filter((d) => d !== t.id && byId.has(d)))].sort(compare));
  const deps = (id: string): string[] => depsOf.get(id)!;
  const total = tasks.reduce((s, t) => s + t.weight, 0);
  const fair = total / count;

  // Units: whole small groups, or single tasks of large groups; heaviest first (list scheduling).
  const units: { ids: string[]; weight: number }[] = [];
  for (const group of connectedGroups([...byId.keys()].sort(compare), deps)) {
    const weight = group.reduce((s, id) => s + byId.get(id)!.weight, 0);
    if (weight <= fair * WHOLE_GROUP_SHARE || group.length === 1) units.push({ ids: group, weight });
    else for (const id of group) units.push({ ids: [id], weight: byId.get(id)!.weight });
  }
  // Equal weights go dependencies first, so a task finds its dependencies placed and can join them.
  const depth = new Map<string, number>();
  const depthOf = (id: string): number => {
    let d = depth.get(id);
    if (d === undefined) {
      depth.set(id, 0); // a cycle (the task graph has none) cannot recurse forever
      d = 1 + Math.max(0, ...deps(id).map(depthOf));
      depth.set(id, d);
    }
    return d;
  };
  const firstDepth = (u: { ids: string[] }): number => Math.min(...u.ids.map(depthOf));
  units.sort((a, b) => b.weight - a.weight || firstDepth(a) - firstDepth(b) || compare(a.ids[0]!, b.ids[0]!));

  const load = new Array<number>(count).fill(0);
  const owner = new Map<string, number>();
  for (const unit of units) {
    // Beside its dependencies when that shard stays within the fair load, else on the least loaded
    // shard. Either way a shard ends at most one unit above the fair load: the bound holds.
    const near = new Map<number, number>();
    for (const id of unit.ids) for (const d of deps(id)) if (owner.has(d)) near.set(owner.get(d)!, (near.get(owner.get(d)!) ?? 0) + byId.get(d)!.weight);
    let chosen = -1;
    for (const [s] of [...near].sort((a, b) => b[1] - a[1] || a[0] - b[0]))
      if (load[s]! + unit.weight <= fair) {
        chosen = s;
        break;
      }
    if (chosen < 0) chosen = leastLoaded(load);
    load[chosen]! += unit.weight;
    for (const id of unit.ids) owner.set(id, chosen);
  }

  const shards: Shard[] = [];
  for (let s = 0; s < count; s++) {
    const own = [...owner]
      .filter(([, o]) => o === s)
      .map(([id]) => id)
      .sort(compare);
    const along = new Set<string>();
    const stack = [...own];
    while (stack.length > 0)
      for (const d of deps(stack.pop()!))
        if (owner.get(d) !== s && !along.has(d)) {
          along.add(d);
          stack.push(d);
        }
    const takeAlong = [...along].sort(compare);
    shards.push({
      index: s + 1,
      tasks: own,
      weight: load[s]!,
      takeAlong,
      takeAlongWeight: takeAlong.reduce((sum, id) => sum + byId.get(id)!.weight, 0),
    });
  }
  return { shards, totalWeight: total };
}

/** The weakly connected groups of the task graph, each sorted, in order of their first id. */
function connectedGroups(ids: readonly string[], deps: (id: string) => string[]): string[][] {
  const parent = new Map<string, string>(ids.map((id) => [id, id]));
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    // Path compression: point every step of the walk at the root.
    while (x !== r) {
      const next = parent.get(x)!;
      parent.set(x, r);
      x = next;
    }
    return r;
  };
  for (const id of ids)
    for (const d of deps(id)) {
      const a = find(id);
      const b = find(d);
      if (a !== b) parent.set(a < b ? b : a, a < b ? a : b);
    }
  const groups = new Map<string, string[]>();
  for (const id of ids) {
    const r = find(id);
    const g = groups.get(r) ?? [];
    g.push(id);
    groups.set(r, g);
  }
  return [...groups.values()];
}

function leastLoaded(load: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < load.length; i++) if (load[i]! < load[best]!) best = i;
  return best;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Parses `i/N` (1 <= i <= N), as `--shard` takes it. */
export function parseShardSpec(text: string): { index: number; count: number } | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return index >= 1 && count >= 1 && index <= count ? { index, count } : undefined;
}

/**
 * Each task's weight: its recorded duration, or `fallbackMs` for a task never timed (the median of
 * the recorded ones, or one second when none are). Recorded durations under 1 ms count as 1 ms.
 */
export function weighTasks(
  tasks: readonly { readonly id: string; readonly dependsOn: readonly string[] }[],
  durations: ReadonlyMap<string, number>,
  fallbackMs?: number,
): { tasks: ShardTask[]; unknown: number; fallbackMs: number } {
  const known = tasks
    .map((t) => durations.get(t.id))
    .filter((d): d is number => d !== undefined && Number.isFinite(d))
    .sort((a, b) => a - b);
  const fallback = fallbackMs ?? (known.length > 0 ? Math.max(1, known[Math.floor(known.length / 2)]!) : 1000);
  let unknown = 0;
  const weighed = tasks.map((t) => {
    const d = durations.get(t.id);
    if (d === undefined || !Number.isFinite(d)) unknown++;
    return { id: t.id, dependsOn: t.dependsOn, weight: d === undefined || !Number.isFinite(d) ? fallback : Math.max(1, d) };
  });
  return { tasks: weighed, unknown, fallbackMs: fallback };
}

/**
 * The requested tasks of a task graph and, for each, the requested tasks it needs first (reached
 * through tasks that were not requested: a `build` that needs its own `codegen` that needs a
 * dependency's `build`). The shards own requested tasks; the others run with them.
 */
export function requestedTasks(graph: {
  readonly dependencies: Readonly<Record<string, readonly string[]>>;
  readonly requested: readonly string[];
}): { id: string; dependsOn: string[] }[] {
  const requested = new Set(graph.requested);
  return [...requested].sort(compare).map((id) => {
    const found = new Set<string>();
    const seen = new Set<string>([id]);
    const stack = [...(graph.dependencies[id] ?? [])];
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (seen.has(d)) continue;
      seen.add(d);
      if (requested.has(d)) found.add(d);
      else stack.push(...(graph.dependencies[d] ?? []));
    }
    return { id, dependsOn: [...found].sort(compare) };
  });
}
