/**
 * The workspace's own files by name: which define projects, which reshape the whole workspace,
 * the root tsconfigs. With `lockfile/names.ts`, the one list of root-file names kiln keeps.
 * Free of imports beyond that list: the warm `kiln affected` path asks it of every changed file.
 */
export { isLockfile, isOtherLockfile, LOCKFILES, OTHER_LOCKFILES } from '../lockfile/names.js';

/** The root tsconfigs whose `paths` map imports, in the order Nx picks them. */
export const ROOT_TSCONFIGS = ['tsconfig.base.json', 'tsconfig.json'] as const;

/** The workspace-wide files affected reads at both ends when they change (lockfiles aside). */
export const ROOT_CONFIG_FILES = ['package.json', 'nx.json', ...ROOT_TSCONFIGS] as const;

/** A file that declares projects or their configuration: any project.json, package.json or turbo.json(c), nx.json, pnpm-workspace.yaml. */
export function definesProjects(path: string): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base === 'project.json' || base === 'package.json' || base === 'turbo.json' || base === 'turbo.jsonc' || path === 'nx.json' || path === 'pnpm-workspace.yaml';
}

export const isRootTsconfig = (path: string): boolean => (ROOT_TSCONFIGS as readonly string[]).includes(path);

/** A file whose change reshapes the workspace itself, not just one project's sources: the above, the root tsconfigs, ignore files. */
export function shapesWorkspace(path: string): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return definesProjects(path) || isRootTsconfig(path) || base === '.gitignore' || base === '.nxignore';
}
