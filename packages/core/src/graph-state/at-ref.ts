/**
 * The workspace as it was at a commit: its file list from git and its configuration files in one
 * `cat-file`, read by the ordinary rules (`affected` compares each project's configuration at base
 * and head when a file that defines projects changed). .nxignore at that commit applies, and what
 * nx.json's plugins inferred comes from their cache (keyed by content, so a config file unchanged
 * since a read of the work tree is found); plugins never run on another commit's files, so what
 * the cache lacks is an inference gap the caller treats on the safe side.
 */
import { definesProjects, isRootTsconfig } from '../affected/root-files.js';
import { blobIdsAtRef, listFilesAtRef, readFilesAtRef } from '../scm/index.js';
import type { Workspace } from '../workspace/index.js';

/** The workspace at `ref`, or undefined when its configuration there cannot be read. */
export async function workspaceAtRef(root: string, ref: string): Promise<Workspace | undefined> {
  const files = await listFilesAtRef(root, ref);
  const texts = await readFilesAtRef(
    root,
    ref,
    files.filter((f) => definesProjects(f) || isRootTsconfig(f) || f === '.nxignore'),
  );
  const read = (p: string): string | undefined => texts.get(p);
  const [{ buildWorkspace, nxJsInstalled, visibleFiles }, plugins] = await Promise.all([import('../workspace/index.js'), import('../workspace/plugins/index.js')]);
  const nxJson = plugins.peekNxJson(read);
  let inference: ReturnType<typeof plugins.asInput> | undefined;
  if (plugins.pluginEntries(nxJson).length > 0) {
    const ids = await blobIdsAtRef(root, ref);
    const blobIds = async (paths: readonly string[]) => new Map(paths.flatMap((p) => (ids.has(p) ? [[p, ids.get(p)!] as const] : [])));
    inference = plugins.asInput(await plugins.inferNodes({ root, files: visibleFiles(files, read), nxJson, blobIds, mayRun: false }));
  }
  const result = buildWorkspace({ root, files, read, nxJsInstalled: nxJsInstalled(root), ...inference });
  return result.ok ? result.value : undefined;
}
