/**
 * affected: from changed files (given as data) to the projects they touch and, through reverse
 * dependency edges, every project affected, each with the reasons and a chain that explains it.
 * Workspace-wide files (root package.json, root tsconfig, nx.json, lockfiles) are narrowed by
 * rules that take both versions as data, and a change to project configuration by comparing the
 * workspace at base and head, given as data. Pure: it never asks git what changed (`api/` does),
 * never reads a file (`scm/` and `graph-state/` do); resolving task inputs is `inputs/`'s job.
 * `project-level.ts` and `tasks.ts` are the two entry points; `root-files.ts` names the files.
 */
export * from './types.js';
export { touchesFromFiles, changedPaths, changesOfPaths } from './files.js';
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
export { affectedTasks, targetTasks, unknownTarget, type AffectedTasks, type TargetTasks, type TaskGraphData, type TaskLevelInput } from './tasks.js';
export { workspaceWideTouches, workspaceFilesToRead, type FileVersions, type WorkspaceWideInput } from './workspace-wide.js';
export { configChangeTouches, type ConfiguredProject, type ConfiguredWorkspace } from './config-changes.js';
export { inferenceGapReasons, type InferenceGapRef } from './inference-gaps.js';
export { affectedProjects, prepareGraph, type PreparedGraph, type ProjectGraphView, type ProjectLevel, type ProjectLevelInput } from './project-level.js';
