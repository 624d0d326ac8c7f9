/**
 * affected: from changed files (given as data) to the projects they touch and, through reverse
 * dependency edges, every project affected, each with the reasons and a chain that explains it.
 * Workspace-wide files (root package.json, root tsconfig, nx.json, lockfiles) are narrowed by
 * rules that take both versions as data. Pure: it never asks git what changed (`api/` does) and
 * never reads a file; resolving task inputs is `inputs/`'s job.
 */
export * from './types.js';
export { touchesFromFiles, changedPaths } from './files.js';
export { affectedClosure, compareReasons, describeReason, explainChain, type AffectedProjects } from './closure.js';
export {
  narrowRootPackageJson,
  narrowRootTsconfig,
  narrowNxJson,
  compareConfigs,
  type Narrowed,
  type ProjectConfigFingerprint,
} from './workspace-files.js';
export { workspaceRootInputTouches, workspaceRootPatternsOf, touchesFromRootPatterns, type ProjectInputs } from './root-inputs.js';
export { jsonEqual } from './json-diff.js';
export { definesProjects, isRootTsconfig, shapesWorkspace, ROOT_CONFIG_FILES, ROOT_TSCONFIGS } from './root-files.js';
export { affectedTasks, type AffectedTasks, type TaskGraphData, type TaskLevelInput } from './tasks.js';
