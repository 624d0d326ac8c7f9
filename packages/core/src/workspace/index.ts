/**
 * workspace: reads a workspace the way Nx does. nx.json, project.json files, package.json files
 * that the package manager's workspaces include (npm/yarn `workspaces`, pnpm-workspace.yaml) or
 * that sit beside a project.json, their `nx` field and `scripts`, and nx.json `targetDefaults`.
 * Names, roots, tags and types are derived exactly as Nx derives them; problems come back as
 * located diagnostics, all of them at once.
 * kiln's own settings under nx.json `"kiln"` are validated in `kiln-config.ts` and come back typed
 * as `Workspace.kiln`.
 * turbo.json (no nx.json): `turbo*.ts` translate turbo's tasks onto the targets (docs/turbo.md).
 * Edge: `read.ts` (finds the root, lists and reads files). Pure: everything else.
 * It leaves dependencies between projects to `graph/`.
 */
export * from './types.js';
export { buildWorkspace, workspacePatterns, workspacesMatcher, type WorkspaceInput } from './projects.js';
export { visibleFiles } from './visible-files.js';
export { findWorkspaceRoot, globWorkspaceFiles, jsonValue, nxJsInstalled, nxVisibleFiles, readJsonFile, readWorkspace, requireWorkspaceRoot } from './read.js';
export { DEFAULT_CACHE_DIRECTORY, defaultKilnConfig, sizeInBytes, type ArtifactsConfig, type ArtifactSettingsConfig, type KilnConfig, type PlatformSetting, type RemoteCacheConfig } from './kiln-config.js';
export { parseJson, type JsonPath, type ParsedJson } from './json.js';
export { parseYaml } from './yaml.js';
export { executorPackages } from './executors.js';
export { applyTargetDefaults, isCompatibleTarget, mergeTargets, normalizeTargets, resolveCommandShorthand, targetDefaultsFor } from './targets.js';
export { readTurboFile, type TurboFile, type TurboTaskDefinition } from './turbo-config.js';
export { mergeDefinition, translateTurbo, TURBO_FILES, type TurboConfig, type TurboProject, type TurboTranslation } from './turbo.js';
export { readTurboConfig, workspaceTurbo, type WorkspaceTurbo } from './turbo-workspace.js';
