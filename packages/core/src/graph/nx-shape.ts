/** kiln's graph in Nx's `ProjectGraph` JSON shape (what `nx graph --file=out.json` holds under `graph`). Pure. */
import type { ProjectGraph as NxProjectGraph } from '@nx/devkit';
import type { ProjectGraph } from './types.js';

/** `{nodes, dependencies}` as in Nx's ProjectGraph (no externalNodes: npm packages are in `ProjectGraph.external`). */
export type NxGraphJson = Required<Pick<NxProjectGraph, 'nodes' | 'dependencies'>>;

export function toNxProjectGraph(graph: ProjectGraph): NxGraphJson {
  const nodes: NxGraphJson['nodes'] = {};
  const dependencies: NxGraphJson['dependencies'] = {};
  for (const [name, p] of graph.projects) {
    nodes[name] = { name, type: p.type, data: { ...p.config } };
    dependencies[name] = (graph.dependencies.get(name) ?? []).map((e) => ({ source: e.source, target: e.target, type: e.type }));
  }
  return { nodes, dependencies };
}
