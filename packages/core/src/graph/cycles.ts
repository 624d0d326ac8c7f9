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
  const sortedNodes = [...nodes].sort();
  const succ = new Map<string, string[]>();
  for (const n of sortedNodes) succ.set(n, [...new Set(successors(n))].sort());
  const components = stronglyConnected(sortedNodes, succ);
  const cycles: string[][] = [];
  for (const comp of components) {
    const members = new Set(comp);
    const start = comp.slice().sort()[0]!;
    if (comp.length === 1 && !succ.get(start)?.includes(start)) continue;
    cycles.push(shortestLoop(start, members, succ));
  }
  return cycles.sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
}

/** Tarjan's algorithm, iterative (a 5,000-deep chain must not overflow the stack). */
function stronglyConnected(nodes: string[], succ: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { node: string; next: number }[] = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const edges = succ.get(frame.node) ?? [];
      if (frame.next < edges.length) {
        const w = edges[frame.next++]!;
        if (!succ.has(w)) continue;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ node: w, next: 0 });
        } else if (onStack.has(w)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== frame.node);
        out.push(comp);
      }
    }
  }
  return out;
}

/** The shortest path from `start` back to itself inside `members` (breadth-first, smallest names first). */
function shortestLoop(start: string, members: Set<string>, succ: Map<string, string[]>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    const node = queue[q]!;
    for (const next of succ.get(node) ?? []) {
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
