/**
 * The shapes graph-state keeps and hands on: the saved state (the graph's makings, counted per
 * file), the compact view saved beside it, and the view `affected` and `run` work on.
 */
import type { NxJsonConfiguration } from '@nx/devkit';
import type { RootPatternIndex } from '../affected/root-inputs.js';
import type { FileImports } from '../graph/index.js';
import type { InferenceGap, PluginConfigMatch, TsconfigPaths, Workspace } from '../workspace/index.js';

export interface ProjectState {
  readonly name: string;
  readonly root: string;
  readonly packageName?: string;
  /** `{workspaceRoot}/...` patterns its targets name (project-level affected touches it when one changes). */
  readonly rootInputs: readonly string[];
  /** package.json edges to workspace projects. */
  readonly packageEdges: readonly string[];
  /** package.json dependencies on external packages. */
  readonly packageExternal: readonly string[];
  readonly implicitAdd: readonly string[];
  readonly implicitRemove: readonly string[];
}

export interface State {
  readonly version: number;
  /** A digest of the rest, written with the state and the view saved with it: a view with the same stamp shows this state's graph. */
  readonly stamp: string;
  readonly root: string;
  readonly anchor: string;
  /** Work-tree files that differ from `anchor`: path → content digest, null when deleted. */
  readonly dirty: Record<string, string | null>;
  /** The imports of the dirty source files, as they were. */
  readonly dirtyImports: Record<string, FileImports>;
  readonly nxJson: NxJsonConfiguration;
  readonly tsconfigPaths?: TsconfigPaths;
  readonly projects: readonly ProjectState[];
  /** Project → project it imports → number of its files that do. */
  readonly importEdges: Record<string, Record<string, number>>;
  /** Project → external package it imports → number of its files that do. */
  readonly importExternal: Record<string, Record<string, number>>;
  /** A digest of the project configuration the state was built from (nx.json, each project's settings); kept while no file that shapes the workspace changes. */
  readonly configDigest: string;
  /** nx.json's plugins' config-file selections: a change to such a file rebuilds the state. */
  readonly pluginConfigs?: readonly PluginConfigMatch[];
  /** Config files the plugins could not infer from when the state was built. */
  readonly inferenceGaps?: readonly InferenceGap[];
}

/** The graph view `affected` works on; `workspace` is there when it was read in full. */
export interface AffectedGraphView {
  readonly root: string;
  readonly nxJson: NxJsonConfiguration;
  readonly tsconfigFile?: string;
  readonly projects: readonly { readonly name: string; readonly root: string; readonly rootInputs: readonly string[] }[];
  /** Project → the projects it depends on. */
  readonly dependencies: ReadonlyMap<string, readonly string[]>;
  /** Project → the external packages it uses (package.json and imports). */
  readonly external: ReadonlyMap<string, readonly string[]>;
  readonly workspace?: Workspace;
  /** Project → the projects that depend on it, when the view came with them (else derive them from `dependencies`). */
  readonly dependents?: ReadonlyMap<string, readonly string[]>;
  /** The `{workspaceRoot}` patterns and who names them, when the view came with them (else derive them from `projects`). */
  readonly rootPatterns?: RootPatternIndex;
  /** Whether the saved state was used (`reused`), updated from it (`updated`) or rebuilt (`built`). */
  readonly source: 'reused' | 'updated' | 'built';
  /** The saved state's `configDigest`: what is derived from the project configuration alone (owners) can be saved under it. */
  readonly configDigest?: string;
  readonly pluginConfigs?: readonly PluginConfigMatch[];
  readonly inferenceGaps?: readonly InferenceGap[];
}


/** The view as saved next to the state: projects by index, so it parses quickly. */
export interface SavedView {
  readonly version: number;
  /** The stamp of the state whose graph this is (the view may describe a later work tree with the same graph). */
  readonly stamp: string;
  readonly root: string;
  readonly anchor: string;
  readonly dirty: Record<string, string | null>;
  readonly nxJson: NxJsonConfiguration;
  readonly tsconfigFile?: string;
  readonly names: readonly string[];
  readonly roots: readonly string[];
  readonly deps: readonly (readonly number[])[];
  readonly packages: readonly string[];
  readonly external: readonly (readonly number[])[];
  /** Pattern → the projects whose targets name it, in name order. */
  readonly rootInputs: Readonly<Record<string, readonly number[]>>;
  /** The reverse of `deps`. */
  readonly dependents: readonly (readonly number[])[];
  readonly configDigest: string;
  readonly pluginConfigs?: readonly PluginConfigMatch[];
  readonly inferenceGaps?: readonly InferenceGap[];
}
