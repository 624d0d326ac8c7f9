/**
 * Generic graph walks over string-named nodes, shared by the project graph and the task graph:
 * cycles (every strongly connected component, shown as one concrete loop) and a deterministic
 * dependencies-first order. Pure.
 */

/**
 * The cycles of a directed graph: one loop per strongly connected component with more than one
 * node (or a node with an edge to itself), as `[a, b, c]` meaning a → b → c → a, starting at the
 * component's smallest node. Sorted, so the result never depends on input order.
 */
export function findCycles(nodes: Iterable<string>, successors: (node: string) => Iterable<string>): string[][] {
  const { names, id, adjacency } = indexed(nodes, successors);
  const cycles: string[][] = [];
  for (const comp of stronglyConnected(adjacency)) {
    if (comp.length === 1 && !adjacency[comp[0]!]!.includes(comp[0]!)) continue;
    const members = new Set(comp.map((i) => names[i]!));
    const start = [...members].sort()[0]!;
    const succ = (n: string) => [...new Set([...adjacency[id.get(n)!]!].map((i) => names[i]!))].sort();
    cycles.push(shortestLoop(start, members, succ));
  }
  return cycles.sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
}

/** Tarjan's algorithm over integer ids, iterative (a 5,000-deep chain must not overflow the stack). */
/**
 * The strongly connected components of a directed graph, each sorted, keyed by every member:
 * node → its component (a node outside every cycle is a component of one). For digests that must
 * not depend on where a walk enters a cycle.
 */
export function componentsOf(nodes: Iterable<string>, successors: (node: string) => Iterable<string>): Map<string, readonly string[]> {
  const { names, adjacency } = indexed(nodes, successors);
  const byNode = new Map<string, readonly string[]>();
  for (const comp of stronglyConnected(adjacency)) {
    const members = comp.map((i) => names[i]!).sort();
    for (const m of members) byNode.set(m, members);
  }
  return byNode;
}

/**
 * The graph on integer ids (sorted names): on a 5,000-project graph with 300,000 edges, string
 * maps cost ten times more. Successors outside `nodes` are dropped.
 */
function indexed(nodes: Iterable<string>, successors: (node: string) => Iterable<string>): { names: string[]; id: Map<string, number>; adjacency: Int32Array[] } {
  const names = [...new Set(nodes)].sort();
  const id = new Map(names.map((n, i) => [n, i]));
  const adjacency = names.map((n) => {
    const out: number[] = [];
    for (const s of successors(n)) {
      const t = id.get(s);
      if (t !== undefined) out.push(t);
    }
    return Int32Array.from(out);
  });
  return { names, id, adjacency };
}

function stronglyConnected(adjacency: readonly Int32Array[]): number[][] {
  const n = adjacency.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  const workNode: number[] = [];
  const workNext: number[] = [];
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    workNode.push(root);
    workNext.push(0);
    while (workNode.length > 0) {
      const top = workNode.length - 1;
      const v = workNode[top]!;
      const edges = adjacency[v]!;
      if (workNext[top]! < edges.length) {
        const w = edges[workNext[top]!++]!;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          workNode.push(w);
          workNext.push(0);
        } else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
        continue;
      }
      workNode.pop();
      workNext.pop();
      if (workNode.length > 0) {
        const parent = workNode[workNode.length - 1]!;
        low[parent] = Math.min(low[parent]!, low[v]!);
      }
      if (low[v] === index[v]) {
        const comp: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          comp.push(w);
        } while (w !== v);
        out.push(comp);
      }
    }
  }
  return out;
}

/** The shortest path from `start` back to itself inside `members` (breadth-first, smallest names first). */
function shortestLoop(start: string, members: Set<string>, succ: (node: string) => readonly string[]): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    const node = queue[q]!;
    for (const next of succ(node)) {
      if (!members.has(next)) continue;
      if (next === start) {
        const loop = [node];
        for (let at = node; at !== start; ) {
          at = previous.get(at)!;
          loop.push(at);
        }
        return loop.reverse();
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start];
}

/**
 * Nodes ordered so that each comes after everything it depends on (`successors` are its
 * dependencies). Nodes in a cycle come in a deterministic order; ties are broken by name.
 */
export function topologicalOrder(nodes: Iterable<string>, successors: (node: string) => Iterable<string>): string[] {
  const sortedNodes = [...nodes].sort();
  const known = new Set(sortedNodes);
  const done = new Set<string>();
  const order: string[] = [];
  for (const root of sortedNodes) {
    if (done.has(root)) continue;
    done.add(root);
    const work: { node: string; deps: string[]; next: number }[] = [{ node: root, deps: [...new Set(successors(root))].sort(), next: 0 }];
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      if (frame.next < frame.deps.length) {
        const d = frame.deps[frame.next++]!;
        if (!known.has(d) || done.has(d)) continue;
        done.add(d);
        work.push({ node: d, deps: [...new Set(successors(d))].sort(), next: 0 });
      } else {
        work.pop();
        order.push(frame.node);
      }
    }
  }
  return order;
}
