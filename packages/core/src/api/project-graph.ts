import { KilnError, type ProjectName } from '../model/index.js';
import { isSourceFile, ProjectGraphBuilder, ProjectLocator, type ProjectGraph } from '../graph/index.js';
import type { Workspace } from '../workspace/index.js';
import { scanSources } from './scan-sources.js';

/**
 * The project graph of a loaded workspace: reads and scans every JS/TS source file that belongs
 * to a project (in parallel on large workspaces), then builds the graph. Throws a KilnError
 * (exit 2) for unknown implicit dependencies.
 */
export async function projectGraph(ws: Workspace): Promise<ProjectGraph> {
  const builder = new ProjectGraphBuilder(ws.projects, ws.tsconfigPaths);
  const projects = [...ws.projects.values()];
  const rootProject = projects.find((p) => p.root === '')?.name;
  const index = new Map(projects.map((p, i) => [p.name, i]));
  const files: string[] = [];
  const owners: number[] = [];
  for (const f of ws.files) {
    if (!isSourceFile(f) || f.startsWith('node_modules/') || f.includes('/node_modules/')) continue;
    const owner = builder.locator.projectOfFile(f);
    if (owner === undefined) continue;
    files.push(f);
    owners.push(index.get(owner)!);
  }
  const scanned = await scanSources({
    root: ws.root,
    files,
    owners: Int32Array.from(owners),
    projects: projects.map((p) => ({ name: p.name, root: p.root, ...(p.packageJson?.name && { packageName: p.packageJson.name }) })),
    ...(rootProject !== undefined && { rootProject }),
    ...(ws.tsconfigPaths && { tsconfigPaths: ws.tsconfigPaths }),
  });
  const names = projects.map((p) => p.name);
  for (let i = 0; i < scanned.edges.length; i += 3)
    builder.addImportEdge(names[scanned.edges[i]!]!, names[scanned.edges[i + 1]!]!, scanned.edges[i + 2] === 1 ? 'static' : 'dynamic');
  for (let i = 0; i < scanned.packages.length; i += 2) builder.addImportedPackage(names[scanned.packages[i] as number]! as ProjectName, scanned.packages[i + 1] as string);
  const result = builder.build();
  if (!result.ok) throw new KilnError(result.error);
  return result.value;
}

/** The source files of the workspace's projects (skipping node_modules and files outside every project). */
export function projectSourceFiles(ws: Workspace, locator = new ProjectLocator(ws.projects.values())): string[] {
  const out: string[] = [];
  for (const f of ws.files) {
    if (!isSourceFile(f) || f.startsWith('node_modules/') || f.includes('/node_modules/')) continue;
    if (locator.projectOfFile(f) !== undefined) out.push(f);
  }
  return out;
}
