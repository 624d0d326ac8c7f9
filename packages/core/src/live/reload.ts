/**
 * Which changed paths memory cannot answer for alone (pure): a file that shapes the workspace
 * (project.json, package.json, nx.json, the root tsconfigs, .gitignore, .nxignore) or a config
 * file of nx.json's plugins reloads the workspace and the graph; those and a lockfile are judged
 * against the base commit (`kiln affected` reads them at both ends), so their batch is answered
 * the direct way. An ignore file also changes which files git lists.
 */
import { isLockfile, shapesWorkspace } from '../affected/root-files.js';

export interface BatchKind {
  /** The workspace and the graph must be read again. */
  readonly reload: boolean;
  /** The answer needs the base commit's versions of some file: ask `affected` itself. */
  readonly direct: boolean;
  /** An ignore file changed: git's list of files must be read again. */
  readonly relist: boolean;
}

export function batchKind(paths: readonly string[], isPluginConfig: (path: string) => boolean): BatchKind {
  const reload = paths.some((p) => shapesWorkspace(p) || isPluginConfig(p));
  const relist = paths.some((p) => /(^|\/)\.(git|nx)ignore$/.test(p) || p === '.git/info/exclude');
  return { reload, relist, direct: reload || paths.some(isLockfile) };
}
