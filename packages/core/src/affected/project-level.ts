/**
 * Project level, start to finish: the changed files (and both versions of the workspace-wide
 * ones, and of the project configuration when it changed) become touches, and the touches become
 * the affected closure over reverse edges, each project with its reasons and the chain that
 * explains it. Everything comes in as data; the graph as `graph-state/` keeps it.
 */
import { ProjectIndex } from '../graph/project-index.js';
import { affectedClosure, explainChain, invertEdges, type AffectedProjects } from './closure.js';
import { configChangeTouches, type ConfiguredWorkspace } from './config-changes.js';
import { changedPaths, touchesFromFiles } from './files.js';
import { definesProjects } from './root-files.js';
import { rootPatternIndex, touchesFromRootPatternIndex, type RootPatternIndex } from './root-inputs.js';
import type { ChangedFile, ProjectRef, Reason, Touch } from './types.js';
import { workspaceWideTouches, type FileVersions } from './workspace-wide.js';
import type { Diagnostic } from '../model/diagnostic.js';

/** What project level needs of the project graph (graph-state's view is one). */
export interface ProjectGraphView {
  readonly projects: readonly (ProjectRef & { readonly rootInputs: readonly string[] })[];
  /** Project → the projects it depends on (read only when `dependents` is missing). */
  readonly dependencies: ReadonlyMap<string, readonly string[]>;
  /** Project → the external packages it uses. */
  readonly external: ReadonlyMap<string, readonly string[]>;
  /** The reverse edges, when the view came with them. */
  readonly dependents?: ReadonlyMap<string, readonly string[]>;
  /** The `{workspaceRoot}` patterns and who names them, when the view came with them. */
  readonly rootPatterns?: RootPatternIndex;
  readonly nxJson: unknown;
}

/** What the answer derives from the graph alone, built once per view (a caller can build it while git works). */
export interface PreparedGraph {
  readonly projects: readonly ProjectRef[];
  readonly index: ProjectIndex;
  readonly rootPatterns: RootPatternIndex;
  readonly dependents: ReadonlyMap<string, readonly string[]>;
}

// Keyed by the projects list: copies of a view (another `source`, a `workspace` added) share it and the graph.
const preparedGraphs = new WeakMap<object, PreparedGraph>();

export function prepareGraph(view: ProjectGraphView): PreparedGraph {
  let ready = preparedGraphs.get(view.projects);
  if (ready === undefined) {
    const projects = view.projects;
    ready = {
      projects,
      index: new ProjectIndex(projects),
      rootPatterns: view.rootPatterns ?? rootPatternIndex(projects.map((p) => ({ name: p.name, patterns: p.rootInputs }))),
      dependents: view.dependents ?? invertEdges(view.dependencies),
    };
    preparedGraphs.set(view.projects, ready);
  }
  return ready;
}

export interface ProjectLevelInput {
  readonly graph: ProjectGraphView;
  readonly changes: readonly ChangedFile[];
  /** Reasons known before looking at the files (failing open, plugins that did not run). */
  readonly global: readonly Reason[];
  /** Touches known before looking at the files (projects whose plugin-inferred configuration is unknown). */
  readonly touches?: readonly Touch[];
  /**
   * The project configuration at both ends, when a file that defines projects changed and there
   * is a base (`unreadable`: the base's could not be read).
   */
  readonly configs?: { readonly base: ConfiguredWorkspace; readonly head: ConfiguredWorkspace } | 'unreadable';
  /** The workspace-wide files at both ends (`workspaceFilesToRead` says which). */
  readonly versions: FileVersions;
  readonly lockfiles: readonly string[];
  /** The root tsconfig whose `paths` the graph uses. */
  readonly tsconfigFile: string;
}

export interface ProjectLevel {
  readonly closure: AffectedProjects;
  readonly touches: readonly Touch[];
  readonly global: readonly Reason[];
  readonly reasons: Readonly<Record<string, readonly Reason[]>>;
  /** For each affected project, the chain a person reads. */
  readonly chains: Readonly<Record<string, string>>;
  /** Warnings about files the rules could not read (a lockfile), beside the safe answer they fell back to. */
  readonly diagnostics: readonly Diagnostic[];
}

export async function affectedProjects(input: ProjectLevelInput): Promise<ProjectLevel> {
  const { graph, changes } = input;
  const ready = prepareGraph(graph);
  const paths = changedPaths(changes);
  const touches: Touch[] = [...(input.touches ?? [])];
  const global: Reason[] = [...input.global];
  // Ownership as it was too, so a moved or removed project's files still touch it.
  let baseProjects: ProjectRef[] | undefined;
  if (input.configs === 'unreadable') global.push({ kind: 'global', file: 'nx.json', detail: 'the workspace configuration at base could not be read' });
  else if (input.configs !== undefined) {
    const { base, head } = input.configs;
    baseProjects = base.projects.map((p) => ({ name: p.name, root: p.root }));
    const file = paths.includes('nx.json') ? 'nx.json' : paths.find(definesProjects)!;
    touches.push(...configChangeTouches(base, head, file, graph.external));
  }
  touches.push(...touchesFromFiles(changes, ready.index, baseProjects));
  let consumers: Map<string, { dir: string; names: readonly string[] }> | undefined;
  const wide = await workspaceWideTouches({
    paths,
    lockfiles: input.lockfiles,
    versions: input.versions,
    tsconfigFile: input.tsconfigFile,
    projects: ready.projects,
    consumers: () => (consumers ??= new Map(ready.projects.map((p) => [p.name, { dir: p.root, names: graph.external.get(p.name) ?? [] }]))),
    nxJson: graph.nxJson,
  });
  touches.push(...wide.touches, ...touchesFromRootPatternIndex(ready.rootPatterns, paths));
  global.push(...wide.global);
  // The forward edges are only read when the reverse ones are missing: a getter keeps them unbuilt otherwise.
  const closure = affectedClosure(
    {
      projects: ready.projects,
      get dependencies() {
        return graph.dependencies;
      },
      dependents: ready.dependents,
    },
    touches,
    global,
  );
  const reasons: Record<string, readonly Reason[]> = {};
  const chains: Record<string, string> = {};
  for (const name of closure.projects) {
    reasons[name] = closure.reasons.get(name)!;
    chains[name] = explainChain(closure, name);
  }
  return { closure, touches, global, reasons, chains, diagnostics: wide.diagnostics };
}
