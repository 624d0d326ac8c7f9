import type { InputDefinition } from 'nx/src/config/workspace-json-project-json.js';
import { diagnostic, err, ok, type Diagnostic, type ProjectName, type Result } from '../model/index.js';

/** One entry of an Nx `inputs` or `namedInputs` list. */
export type InputSpec = string | InputDefinition;

/** What resolution needs to know about one project. */
export interface InputsProject {
  readonly root: string;
  /** The project's own `namedInputs` (from project.json or the `nx` field); they override nx.json's. */
  readonly namedInputs?: Readonly<Record<string, readonly InputSpec[]>>;
}

/** The workspace as input resolution sees it: pure data, no file system. */
export interface InputsWorkspace {
  /** nx.json `namedInputs`. */
  readonly namedInputs?: Readonly<Record<string, readonly InputSpec[]>>;
  readonly projects: Readonly<Record<string, InputsProject>>;
  /** Direct project dependencies (project → projects it depends on). */
  readonly dependencies: Readonly<Record<string, readonly string[]>>;
}

/**
 * The files of one project that are inputs, as repository-relative globs.
 * `project` patterns came from `{projectRoot}` and match only files that belong to that project
 * (a nested project's files belong to the nested project, as in Nx); `workspace` patterns came
 * from `{workspaceRoot}` and match any file. A file is in the set when it matches an `include`
 * of its scope and no `exclude` of the same scope.
 */
export interface ProjectFileset {
  readonly project: ProjectName;
  readonly project_include: readonly string[];
  readonly project_exclude: readonly string[];
  readonly workspace_include: readonly string[];
  readonly workspace_exclude: readonly string[];
}

/** A task's inputs, resolved: filesets of the project itself and (via `^`) of its dependencies. */
export interface ResolvedInputs {
  /** The task's own project first, then the dependency projects sorted by name. */
  readonly filesets: readonly ProjectFileset[];
  /** Environment variables whose values are inputs, sorted. */
  readonly env: readonly string[];
  /** Shell commands whose output is an input, sorted. */
  readonly runtime: readonly string[];
  /** External packages named by `{externalDependencies}`; undefined means every one the project uses (Nx's default). */
  readonly externalDependencies: readonly string[] | undefined;
  /**
   * With `{ transitive: false }`: the `^` inputs, to be applied to each direct dependency (and by
   * it to its own); `filesets` then holds only the project's own share. Empty when transitive.
   */
  readonly dependencyInputs: readonly DependencyInput[];
  /** `{dependentTasksOutputFiles}` globs. */
  readonly dependentTasksOutputFiles: readonly { readonly glob: string; readonly transitive: boolean }[];
}

/** A `^` input: a named input or a fileset, taken in each dependency's own terms. */
export interface DependencyInput {
  readonly kind: 'named' | 'fileset';
  readonly value: string;
}

/** Nx's defaults: `default` is every file of the project, and a target without `inputs` uses `default` and `^default`. */
export const DEFAULT_NAMED_INPUT: readonly InputSpec[] = [{ fileset: '{projectRoot}/**/*' }];
export const DEFAULT_TARGET_INPUTS: readonly InputSpec[] = ['default', '^default'];

type Normal =
  | { kind: 'fileset'; pattern: string; dependencies: boolean }
  | { kind: 'named'; name: string; dependencies: boolean; projects?: readonly string[] }
  | { kind: 'env'; name: string }
  | { kind: 'runtime'; command: string }
  | { kind: 'external'; packages: readonly string[] }
  | { kind: 'depOutputs'; glob: string; transitive: boolean }
  | { kind: 'ignored' };

function normalise(spec: InputSpec): Normal | undefined {
  if (typeof spec === 'string') {
    if (spec.startsWith('^')) {
      const rest = spec.slice(1);
      return rest.startsWith('{') || rest.startsWith('!')
        ? { kind: 'fileset', pattern: rest, dependencies: true }
        : { kind: 'named', name: rest, dependencies: true };
    }
    if (spec.startsWith('{') || spec.startsWith('!')) return { kind: 'fileset', pattern: spec, dependencies: false };
    return { kind: 'named', name: spec, dependencies: false };
  }
  if (spec === null || typeof spec !== 'object') return undefined;
  const s = spec as Record<string, unknown>;
  if (typeof s.fileset === 'string') return { kind: 'fileset', pattern: s.fileset, dependencies: s.dependencies === true };
  if (typeof s.input === 'string') {
    const projects = typeof s.projects === 'string' ? [s.projects] : Array.isArray(s.projects) ? (s.projects as string[]) : undefined;
    return { kind: 'named', name: s.input, dependencies: s.dependencies === true, ...(projects && { projects }) };
  }
  if (typeof s.env === 'string') return { kind: 'env', name: s.env };
  if (typeof s.runtime === 'string') return { kind: 'runtime', command: s.runtime };
  if (Array.isArray(s.externalDependencies)) return { kind: 'external', packages: s.externalDependencies as string[] };
  if (typeof s.dependentTasksOutputFiles === 'string')
    return { kind: 'depOutputs', glob: s.dependentTasksOutputFiles, transitive: s.transitive === true };
  if (typeof s.workingDirectory === 'string') return { kind: 'ignored' };
  return undefined;
}

/**
 * Turns a fileset pattern into a repository-relative glob with its scope.
 * `{projectRoot}/src/**` → `libs/a/src/**` (project scope); `{workspaceRoot}/x` → `x` (workspace scope);
 * a bare pattern is relative to the workspace, as older Nx configs wrote them.
 */
export function interpolateFileset(pattern: string, root: string): { glob: string; negated: boolean; scope: 'project' | 'workspace' } {
  let p = pattern;
  const negated = p.startsWith('!');
  if (negated) p = p.slice(1);
  let scope: 'project' | 'workspace' = 'workspace';
  if (p.startsWith('{projectRoot}')) {
    scope = 'project';
    const r = root === '.' ? '' : root;
    p = r + p.slice('{projectRoot}'.length);
  } else if (p.startsWith('{workspaceRoot}')) p = p.slice('{workspaceRoot}'.length);
  p = p.replace(/\{projectRoot\}/g, root === '.' ? '' : root).replace(/\\/g, '/');
  while (p.startsWith('/')) p = p.slice(1);
  while (p.startsWith('./')) p = p.slice(2);
  if (p === '') p = '**/*';
  return { glob: p, negated, scope };
}

interface Collector {
  filesets: Map<string, { pi: Set<string>; pe: Set<string>; wi: Set<string>; we: Set<string> }>;
  env: Set<string>;
  runtime: Set<string>;
  external: Set<string> | undefined;
  depOutputs: Map<string, { glob: string; transitive: boolean }>;
  errors: Diagnostic[];
  /** False: record `^` inputs in `depInputs` instead of walking the dependencies. */
  transitive: boolean;
  depInputs: Map<string, DependencyInput>;
  /** Collecting one dependency's own share (`resolveDependencyInput`): its external packages are its own. */
  share: boolean;
}

const sortedOf = (s: ReadonlySet<string>): string[] => [...s].sort();

function newCollector(transitive: boolean, share = false): Collector {
  return { filesets: new Map(), env: new Set(), runtime: new Set(), external: undefined, depOutputs: new Map(), errors: [], transitive, depInputs: new Map(), share };
}

/**
 * Resolves a task's `inputs` into concrete filesets and values, as Nx's task hasher does:
 * named inputs expand recursively (a project's own `namedInputs` override nx.json's), and
 * `^name` takes `name` of every direct and transitive dependency, each in its own project's terms.
 * `targetInputs` undefined means the target declared none (Nx then uses `default` and `^default`).
 */
export function resolveTaskInputs(
  workspace: InputsWorkspace,
  project: string,
  targetInputs: readonly InputSpec[] | undefined,
  options: { transitive?: boolean } = {},
): Result<ResolvedInputs, Diagnostic[]> {
  if (!workspace.projects[project]) return err([diagnostic('unknown-project', `No project named "${project}".`)]);
  const c = newCollector(options.transitive ?? true);
  const visitedDeps = new Set<string>();
  expandList(workspace, project, targetInputs ?? DEFAULT_TARGET_INPUTS, c, visitedDeps, [], true);
  if (c.errors.length > 0) return err(c.errors);
  return ok({
    filesets: collectedFilesets(c, project),
    dependencyInputs: [...c.depInputs.keys()].sort().map((k) => c.depInputs.get(k)!),
    env: sortedOf(c.env),
    runtime: sortedOf(c.runtime),
    externalDependencies: c.external ? sortedOf(c.external) : undefined,
    dependentTasksOutputFiles: [...c.depOutputs.values()].sort((a, b) => (a.glob < b.glob ? -1 : a.glob > b.glob ? 1 : Number(a.transitive) - Number(b.transitive))),
  });
}

function collectedFilesets(c: Collector, first: string): ProjectFileset[] {
  const names = [...c.filesets.keys()].sort((a, b) => (a === first ? -1 : b === first ? 1 : a < b ? -1 : a > b ? 1 : 0));
  return names.map((name) => {
    const f = c.filesets.get(name)!;
    return {
      project: name as ProjectName,
      project_include: sortedOf(f.pi),
      project_exclude: sortedOf(f.pe),
      workspace_include: sortedOf(f.wi),
      workspace_exclude: sortedOf(f.we),
    };
  });
}

/** A dependency's own share of a `^` input. */
export interface DependencyShare {
  readonly filesets: readonly ProjectFileset[];
  /** Environment variables and commands the dependency's named input lists (they count for the dependent, as in Nx), sorted. */
  readonly env: readonly string[];
  readonly runtime: readonly string[];
  /** The dependency's external packages that count: those its named input's `{externalDependencies}` lists, undefined for all it uses. */
  readonly externalDependencies: readonly string[] | undefined;
}

/**
 * A dependency's own share of a `^` input: what `input` names in `project`'s own terms (its
 * `namedInputs` override nx.json's), without walking further. With `resolveTaskInputs(...,
 * { transitive: false })` this lets a hasher digest each project once and chain the digests
 * along dependency edges, instead of listing every transitive file for every task.
 */
export function resolveDependencyInput(workspace: InputsWorkspace, project: string, input: DependencyInput): Result<DependencyShare, Diagnostic[]> {
  if (!workspace.projects[project]) return err([diagnostic('unknown-project', `No project named "${project}".`)]);
  const c = newCollector(false, true);
  if (input.kind === 'fileset') addFileset(c, project, interpolateFileset(input.value, workspace.projects[project]!.root));
  else expandNamed(workspace, project, input.value, c, new Set(), [], false);
  if (c.errors.length > 0) return err(c.errors);
  return ok({ filesets: collectedFilesets(c, project), env: sortedOf(c.env), runtime: sortedOf(c.runtime), externalDependencies: c.external ? sortedOf(c.external) : undefined });
}

function namedInputsOf(workspace: InputsWorkspace, project: string): Readonly<Record<string, readonly InputSpec[]>> {
  return { default: DEFAULT_NAMED_INPUT, ...workspace.namedInputs, ...workspace.projects[project]?.namedInputs };
}

function filesetFor(c: Collector, project: string) {
  let f = c.filesets.get(project);
  if (!f) c.filesets.set(project, (f = { pi: new Set(), pe: new Set(), wi: new Set(), we: new Set() }));
  return f;
}

/** Expands `specs` in `project`'s terms; `self` is false when expanding for a dependency (its `^` entries and dependency outputs do not count there). */
function expandList(
  workspace: InputsWorkspace,
  project: string,
  specs: readonly InputSpec[],
  c: Collector,
  visitedDeps: Set<string>,
  namedStack: readonly string[],
  self: boolean,
): void {
  const root = workspace.projects[project]!.root;
  for (const spec of specs) {
    const n = normalise(spec);
    if (n === undefined) {
      c.errors.push(diagnostic('invalid-input', `Input ${JSON.stringify(spec)} of project "${project}" is not one Nx knows.`, {
        hint: 'Use a named input, a fileset like "{projectRoot}/**/*", or {env}, {runtime}, {externalDependencies}, {dependentTasksOutputFiles}.',
      }));
      continue;
    }
    switch (n.kind) {
      case 'fileset': {
        if (n.dependencies) {
          // In a dependency's terms only its own files count; its `^` entries are covered by the transitive walk.
          if (!self) break;
          if (!c.transitive) {
            c.depInputs.set(`fileset:${n.pattern}`, { kind: 'fileset', value: n.pattern });
            break;
          }
          forEachDependency(workspace, project, visitedDeps, `fileset:${n.pattern}`, (dep) => addFileset(c, dep, interpolateFileset(n.pattern, workspace.projects[dep]!.root)));
        } else addFileset(c, project, interpolateFileset(n.pattern, root));
        break;
      }
      case 'named': {
        const named = namedInputsOf(workspace, project);
        if (n.projects) {
          for (const p of n.projects) {
            if (!workspace.projects[p]) {
              c.errors.push(diagnostic('unknown-project', `Input "${n.name}" of project "${project}" names project "${p}", which does not exist.`));
              continue;
            }
            expandNamed(workspace, p, n.name, c, visitedDeps, namedStack, false);
          }
        } else if (n.dependencies) {
          if (!self) break;
          if (!(n.name in named) && !namedInputsExistsAnywhere(workspace, n.name)) {
            c.errors.push(unknownNamed(n.name, project, named));
            break;
          }
          if (!c.transitive) {
            c.depInputs.set(`named:${n.name}`, { kind: 'named', value: n.name });
            break;
          }
          forEachDependency(workspace, project, visitedDeps, n.name, (dep) => expandNamed(workspace, dep, n.name, c, visitedDeps, namedStack, false));
        } else expandNamed(workspace, project, n.name, c, visitedDeps, namedStack, self);
        break;
      }
      // Env values and commands count wherever a named input lists them, in a dependency's terms
      // too (Nx's hash plan for `^production` holds the dependency's env inputs).
      case 'env':
        c.env.add(n.name);
        break;
      case 'runtime':
        c.runtime.add(n.command);
        break;
      // A list of external packages narrows the packages of the project it was written for.
      case 'external':
        if (self || c.share) {
          c.external ??= new Set();
          for (const p of n.packages) c.external.add(p);
        }
        break;
      case 'depOutputs':
        if (self) c.depOutputs.set(`${n.glob}\0${n.transitive}`, { glob: n.glob, transitive: n.transitive });
        break;
      case 'ignored':
        break;
    }
  }
}

function expandNamed(
  workspace: InputsWorkspace,
  project: string,
  name: string,
  c: Collector,
  visitedDeps: Set<string>,
  namedStack: readonly string[],
  self: boolean,
): void {
  const named = namedInputsOf(workspace, project);
  const specs = named[name];
  if (specs === undefined) {
    // A dependency that lacks the named input contributes nothing (Nx skips it the same way).
    if (self) c.errors.push(unknownNamed(name, project, named));
    return;
  }
  const key = `${project}\0${name}`;
  if (namedStack.includes(key)) {
    c.errors.push(diagnostic('named-input-cycle', `Named input "${name}" refers to itself: ${[...namedStack.filter((k) => k.startsWith(`${project}\0`)).map((k) => k.split('\0')[1]), name].join(' → ')}.`));
    return;
  }
  expandList(workspace, project, specs, c, visitedDeps, [...namedStack, key], self);
}

function unknownNamed(name: string, project: string, named: Readonly<Record<string, unknown>>): Diagnostic {
  const candidates = Object.keys(named).sort();
  return diagnostic('unknown-named-input', `Project "${project}" uses input "${name}", which is not a named input.`, {
    hint: `Define it under "namedInputs" in nx.json or the project's configuration. Known: ${candidates.join(', ')}.`,
  });
}

function namedInputsExistsAnywhere(workspace: InputsWorkspace, name: string): boolean {
  if (workspace.namedInputs?.[name]) return true;
  return Object.values(workspace.projects).some((p) => p.namedInputs?.[name] !== undefined);
}

/** Visits every transitive dependency of `project` once per dependency input (`key`). */
function forEachDependency(workspace: InputsWorkspace, project: string, visited: Set<string>, key: string, visit: (dep: string) => void): void {
  const deps = [...(workspace.dependencies[project] ?? [])].sort();
  for (const dep of deps) {
    const k = `${dep}\0${key}`;
    if (visited.has(k) || !workspace.projects[dep]) continue;
    visited.add(k);
    visit(dep);
    forEachDependency(workspace, dep, visited, key, visit);
  }
}

function addFileset(c: Collector, project: string, f: { glob: string; negated: boolean; scope: 'project' | 'workspace' }): void {
  const set = filesetFor(c, project);
  if (f.scope === 'project') (f.negated ? set.pe : set.pi).add(f.glob);
  else (f.negated ? set.we : set.wi).add(f.glob);
}
