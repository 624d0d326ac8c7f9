import { isScannedSource, ProjectGraphBuilder, ProjectIndex, type ProjectGraph } from '../graph/index.js';
import { KilnError } from '../model/index.js';
import type { Workspace } from '../workspace/index.js';
import { scanImportTables } from './scan-tables.js';

/**
 * The project graph of a loaded workspace: reads and scans every JS/TS source file that belongs
 * to a project (on worker threads too in a large workspace), then builds the graph. Throws a
 * KilnError (exit 2) for unknown implicit dependencies.
 */
export async function projectGraph(ws: Workspace): Promise<ProjectGraph> {
  const builder = new ProjectGraphBuilder(ws.projects, ws.tsconfigPaths);
  builder.addImportTables(await scanImportTables(ws.root, projectSourceFiles(ws, builder.locator)));
  const result = builder.build();
  if (!result.ok) throw new KilnError(result.error);
  return result.value;
}

/** The source files of the workspace's projects (skipping node_modules and files outside every project). */
export function projectSourceFiles(ws: Workspace, locator = new ProjectIndex(ws.projects.values())): string[] {
  const out: string[] = [];
  for (const f of ws.files) {
    if (isScannedSource(f) && locator.projectOfFile(f) !== undefined) out.push(f);
  }
  return out;
}
