/**
 * The workspace as it was at a commit: its file list from git and its configuration files in one
 * `cat-file`, read by the ordinary rules (`affected` compares each project's configuration at base
 * and head when a file that defines projects changed).
 */
import { definesProjects, isRootTsconfig } from '../affected/root-files.js';
import { listFilesAtRef, readFilesAtRef } from '../scm/index.js';
import type { Workspace } from '../workspace/index.js';

/** The workspace at `ref`, or undefined when its configuration there cannot be read. */
export async function workspaceAtRef(root: string, ref: string): Promise<Workspace | undefined> {
  const files = await listFilesAtRef(root, ref);
  const texts = await readFilesAtRef(root, ref, files.filter((f) => definesProjects(f) || isRootTsconfig(f)));
  const { buildWorkspace } = await import('../workspace/index.js');
  const result = buildWorkspace({ root, files, read: (p) => texts.get(p) });
  return result.ok ? result.value : undefined;
}
