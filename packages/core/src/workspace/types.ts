/**
 * The workspace as kiln sees it: projects named, rooted and typed the way Nx derives them.
 * Shapes of Nx's own config come from @nx/devkit (type-only), so kiln stays in step with Nx.
 */
import type { NxJsonConfiguration, ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import type { Diagnostic, ProjectName, RepoPath } from '../model/index.js';
import type { KilnConfig } from './kiln-config.js';

export type { NxJsonConfiguration, ProjectConfiguration, TargetConfiguration };

/** Nx's node type: `lib` when projectType is library (or the package has an entry point), `e2e` by name, else `app`. */
export type ProjectType = 'app' | 'lib' | 'e2e';

export type DependencyKind = 'dependencies' | 'devDependencies' | 'peerDependencies' | 'optionalDependencies';

/** What kiln keeps of a project's package.json. */
export interface PackageJsonInfo {
  /** e.g. `packages/a/package.json`. */
  readonly file: RepoPath;
  readonly name?: string;
  readonly version?: string;
  readonly private: boolean;
  readonly main?: string;
  readonly exports?: unknown;
  /** Has `exports`, `main`, `module` or `bin` (Nx calls such a package a library). */
  readonly hasEntryPoint: boolean;
  /** Declared dependencies by kind: package name → range (as written, e.g. `^1.2.0`, `workspace:*`). */
  readonly dependencies: Readonly<Record<DependencyKind, Readonly<Record<string, string>>>>;
  /** Whether the package manager's `workspaces` (or pnpm-workspace.yaml) include it. */
  readonly inPackageManagerWorkspaces: boolean;
}

export interface Project {
  readonly name: ProjectName;
  /** Repo-relative root; `''` is the workspace root itself (Nx writes it `.`). */
  readonly root: RepoPath;
  readonly type: ProjectType;
  readonly projectType?: 'application' | 'library';
  readonly tags: readonly string[];
  /** As written (names, globs, `tag:x`, `!name`); the graph resolves them. */
  readonly implicitDependencies: readonly string[];
  /** Targets after `command` → `nx:run-commands`, scripts → `nx:run-script`, and targetDefaults. */
  readonly targets: Readonly<Record<string, TargetConfiguration>>;
  readonly namedInputs?: Readonly<Record<string, readonly unknown[]>>;
  readonly packageJson?: PackageJsonInfo;
  /** The files that define the project: its project.json and/or package.json. */
  readonly configFiles: readonly RepoPath[];
  /** The merged configuration, as Nx's `ProjectGraphProjectNode.data` (root `.` for the workspace root). */
  readonly config: ProjectConfiguration;
}

export interface TsconfigPaths {
  /** `tsconfig.base.json` or `tsconfig.json`, as Nx picks its root tsconfig. */
  readonly file: RepoPath;
  /** Directory the mapped paths are relative to (baseUrl, else the tsconfig's own directory). */
  readonly base: RepoPath;
  readonly paths: Readonly<Record<string, readonly string[]>>;
}

export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'bun';

export interface Workspace {
  /** Absolute path of the workspace root (the directory holding nx.json or the root package.json). */
  readonly root: string;
  readonly nxJson: NxJsonConfiguration;
  /** kiln's own settings (nx.json `"kiln"`), validated, defaults filled in. */
  readonly kiln: KilnConfig;
  /** Projects by name, in name order. */
  readonly projects: ReadonlyMap<ProjectName, Project>;
  /** Every file of the workspace (git-tracked plus untracked-not-ignored, or globbed outside git), sorted. */
  readonly files: readonly RepoPath[];
  /** The root package.json's dependencies (external packages every project may use), if any. */
  readonly rootPackageJson?: PackageJsonInfo;
  readonly tsconfigPaths?: TsconfigPaths;
  readonly packageManager: PackageManager;
  /** Problems that did not stop loading. */
  readonly warnings: readonly Diagnostic[];
  /** Config files whose nodes nx.json's plugins could not infer (missing or failing plugins), when any. */
  readonly inferenceGaps?: readonly InferenceGap[];
  /** Which files nx.json's plugins infer from (their globs, include, exclude), when any. */
  readonly pluginConfigs?: readonly PluginConfigMatch[];
}

/** A plugin's config-file selection: its `createNodes` glob and nx.json's include/exclude. */
export interface PluginConfigMatch {
  readonly plugin: string;
  readonly glob: string;
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
}

/** What one Nx plugin inferred: per matched config file, Nx's `projects` (root → configuration). */
export interface InferredNodes {
  readonly plugin: string;
  readonly files: readonly { readonly file: string; readonly projects: Readonly<Record<string, Readonly<Record<string, unknown>>>> }[];
}

/** Config files a plugin could not infer from (`*`: it did not load, so which files is unknown). */
export interface InferenceGap {
  readonly plugin: string;
  readonly files: readonly string[] | '*';
  readonly message: string;
}
