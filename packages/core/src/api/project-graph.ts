import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../model/index.js';
import { buildProjectGraph, isSourceFile, ProjectLocator, scanImports, type FileImports, type ProjectGraph } from '../graph/index.js';
import type { Workspace } from '../workspace/index.js';

/**
 * The project graph of a loaded workspace: reads and scans every JS/TS source file that belongs
 * to a project, then builds the graph. Throws a KilnError (exit 2) for unknown implicit dependencies.
 */
export async function projectGraph(ws: Workspace): Promise<ProjectGraph> {
  const imports = scanSources(ws);
  const result = buildProjectGraph({ projects: ws.projects, ...(ws.tsconfigPaths && { tsconfigPaths: ws.tsconfigPaths }), imports });
  if (!result.ok) throw new KilnError(result.error);
  return result.value;
}

/** The source files of the workspace's projects (skipping node_modules and files outside every project). */
export function projectSourceFiles(ws: Workspace): string[] {
  const locator = new ProjectLocator(ws.projects.values());
  const out: string[] = [];
  for (const f of ws.files) {
    if (!isSourceFile(f) || f.startsWith('node_modules/') || f.includes('/node_modules/')) continue;
    if (locator.projectOf(f) !== undefined) out.push(f);
  }
  return out;
}

function scanSources(ws: Workspace): Map<string, FileImports> {
  const out = new Map<string, FileImports>();
  for (const f of projectSourceFiles(ws)) {
    let text: string;
    try {
      text = readFileSync(join(ws.root, f), 'utf8');
    } catch {
      continue; // listed by git but deleted in the working tree
    }
    const found = scanImports(text);
    if (found.static.length > 0 || found.dynamic.length > 0) out.set(f, found);
  }
  return out;
}
