/**
 * turbo.json as kiln's configuration: a translator, not a second engine. Each package's task
 * definitions are resolved as turbo resolves them (root `tasks`, `pkg#task` keys, package
 * configurations with `extends` and `$TURBO_EXTENDS$`), then written onto the project's targets
 * in kiln's (Nx's) terms: `dependsOn` entries, file and env `inputs`, `outputs`, `cache` (on unless
 * turned off, as turbo caches by default), `continuous` for persistent tasks. The task graph,
 * hashes and affected sets are then the ones `tasks/`, `hash/` and `affected/` make for any
 * workspace. Where nx.json exists it wins, and turbo.json only yields warnings where it defines a
 * target differently. docs/turbo.md maps every key. Pure.
 */
import type { TargetConfiguration } from '@nx/devkit';
import { diagnostic, didYouMean, type Diagnostic } from '../model/index.js';
import type { JsonPath, ParsedJson } from './json.js';
import type { TurboFile, TurboStructuredInput, TurboTaskDefinition } from './turbo-config.js';

export const TURBO_FILES = ['turbo.json', 'turbo.jsonc'] as const;
const EXTENDS = '$TURBO_EXTENDS$';

/** The root turbo.json and the package configurations, by package directory. */
export interface TurboConfig {
  readonly root: TurboFile;
  readonly packages: ReadonlyMap<string, TurboFile>;
}

/** What the translator needs of a project. */
export interface TurboProject {
  readonly root: string;
  readonly name: string;
  readonly targets: Readonly<Record<string, TargetConfiguration>>;
  /** Workspace packages its package.json depends on (by name), for the persistent-task check. */
  readonly dependsOnPackages: readonly string[];
}

export interface TurboTranslation {
  /** Targets by project root, turbo's definitions written onto them. */
  readonly targets: ReadonlyMap<string, Record<string, TargetConfiguration>>;
  /** Package tags (a package configuration's top-level `tags`), by project root. */
  readonly tags: ReadonlyMap<string, readonly string[]>;
  readonly problems: readonly Diagnostic[];
}

/** A resolved definition and where its `dependsOn` was written (for located errors). */
interface Resolved {
  readonly def: TurboTaskDefinition;
  readonly at: { readonly doc: ParsedJson; readonly path: JsonPath };
}

/** Each project's task definitions, resolved as turbo resolves them. */
export function resolveTurboTasks(config: TurboConfig, projects: readonly TurboProject[]): { byRoot: Map<string, Map<string, Resolved>>; problems: Diagnostic[] } {
  const problems: Diagnostic[] = [];
  const byName = new Map(projects.map((p) => [p.name, p]));
  const rootTasks = config.root.tasks;
  for (const key of Object.keys(rootTasks)) {
    const hash = key.indexOf('#');
    if (hash <= 0 || key.startsWith('//#')) continue;
    const pkg = key.slice(0, hash);
    if (!byName.has(pkg))
      problems.push(
        diagnostic('unknown-project', `turbo.json task "${key}" names package "${pkg}", which is not in the workspace.${didYouMean(pkg, byName.keys())}`, {
          location: config.root.doc.locate(['tasks', key]),
          hint: 'Use a package name from a package.json "name" in the workspaces.',
        }),
      );
  }
  const byRoot = new Map<string, Map<string, Resolved>>();
  for (const p of projects) {
    const acc = new Map<string, Resolved>();
    const own = p.root === '' ? '//' : p.name;
    for (const [key, def] of Object.entries(rootTasks)) if (!key.includes('#') && p.root !== '') acc.set(key, { def, at: { doc: config.root.doc, path: ['tasks', key] } });
    // `pkg#task` in the root replaces the task for that package: nothing is inherited.
    for (const [key, def] of Object.entries(rootTasks))
      if (key.startsWith(`${own}#`)) acc.set(key.slice(own.length + 1), { def, at: { doc: config.root.doc, path: ['tasks', key] } });
    const file = config.packages.get(p.root);
    if (file) applyPackageConfig(file, acc, config, byName, new Set(), problems);
    byRoot.set(p.root, acc);
  }
  return { byRoot, problems };
}

function applyPackageConfig(
  file: TurboFile,
  acc: Map<string, Resolved>,
  config: TurboConfig,
  byName: ReadonlyMap<string, TurboProject>,
  seen: Set<string>,
  problems: Diagnostic[],
): void {
  if (seen.has(file.file)) return;
  seen.add(file.file);
  file.extends.forEach((name, i) => {
    if (name === '//') return;
    const other = byName.get(name);
    const otherFile = other && config.packages.get(other.root);
    if (!otherFile) {
      problems.push(
        diagnostic('unknown-project', `${file.file} extends "${name}", which is not a package with a turbo.json.${didYouMean(name, byName.keys())}`, {
          location: file.doc.locate(['extends', i]),
          hint: 'Name a package (its package.json "name") whose folder holds a turbo.json.',
        }),
      );
      return;
    }
    applyPackageConfig(otherFile, acc, config, byName, seen, problems);
  });
  for (const [task, def] of Object.entries(file.tasks)) {
    const { extends: inherit, ...rest } = def;
    const at = { doc: file.doc, path: ['tasks', task] as JsonPath };
    if (inherit === false) {
      acc.delete(task);
      if (Object.keys(rest).length > 0) acc.set(task, { def: stripExtends(rest), at });
      continue;
    }
    const base = acc.get(task);
    acc.set(task, { def: mergeDefinition(base?.def, rest), at: rest.dependsOn !== undefined || !base ? at : base.at });
  }
}

/** A package configuration's definition over the inherited one: scalars override, arrays replace unless they start with `$TURBO_EXTENDS$`. */
export function mergeDefinition(base: TurboTaskDefinition | undefined, over: TurboTaskDefinition): TurboTaskDefinition {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (Array.isArray(value) && value[0] === EXTENDS) {
      const inherited = (base as Record<string, unknown> | undefined)?.[key];
      out[key] = [...(Array.isArray(inherited) ? inherited : []), ...value.slice(1)];
    } else out[key] = value;
  }
  return out as TurboTaskDefinition;
}

function stripExtends(def: TurboTaskDefinition): TurboTaskDefinition {
  return mergeDefinition(undefined, def);
}

/** Translates the resolved definitions into each project's targets. */
export function translateTurbo(config: TurboConfig, projects: readonly TurboProject[]): TurboTranslation {
  const { byRoot, problems } = resolveTurboTasks(config, projects);
  const byName = new Map(projects.map((p) => [p.name, p]));
  const targets = new Map<string, Record<string, TargetConfiguration>>();
  const tags = new Map<string, readonly string[]>();
  const rootProject = projects.find((p) => p.root === '');
  const isPersistent = (p: TurboProject | undefined, task: string): boolean =>
    p !== undefined && p.targets[task] !== undefined && byRoot.get(p.root)?.get(task)?.def.persistent === true;
  for (const p of projects) {
    const resolved = byRoot.get(p.root)!;
    const out: Record<string, TargetConfiguration> = { ...p.targets };
    for (const [task, { def, at }] of resolved) {
      const dependsOn = (def.dependsOn ?? []).flatMap((d) => translateDependsOn(d, rootProject?.name));
      (def.dependsOn ?? []).forEach((entry, i) => {
        const on = persistentDependency(entry, p, byName, rootProject, isPersistent);
        if (on)
          problems.push(
            diagnostic('persistent-dependency', `${p.name}#${task} depends on ${on}, a persistent task: it never finishes, so ${p.name}#${task} would never start.`, {
              location: at.doc.locate([...at.path, 'dependsOn', i]),
              hint: 'Remove the entry, or make the task it names not persistent (turbo refuses this too).',
            }),
          );
      });
      const existing = p.targets[task];
      if (existing === undefined) {
        // turbo keeps a task without a script as a step that does nothing, so what it depends on still runs first.
        if (dependsOn.length > 0) out[task] = { dependsOn, cache: false, metadata: { turbo: { noScript: true } } };
        continue;
      }
      const persistent = def.persistent === true;
      out[task] = {
        ...existing,
        dependsOn,
        inputs: translateInputs(def, p.root, config),
        outputs: (def.outputs ?? []).map((o) => toFileset(o, 'output')),
        cache: def.cache !== false && !persistent,
        ...(persistent && { continuous: true }),
        metadata: { ...existing.metadata, ...(def.description !== undefined && { description: def.description }), turbo: turboMetadata(def, at.doc.file) },
      };
    }
    targets.set(p.root, out);
    const file = config.packages.get(p.root);
    if (file && file.tags.length > 0) tags.set(p.root, file.tags);
    else if (p.root === '' && config.root.tags.length > 0) tags.set(p.root, config.root.tags);
  }
  return { targets, tags, problems };
}

/** `^build`, `build`, `pkg#build` (and `//#x` for the root package) in Nx's object form, which reads task names with colons as they are. */
function translateDependsOn(entry: string, rootProject: string | undefined): NonNullable<TargetConfiguration['dependsOn']> {
  if (entry === EXTENDS) return [];
  if (entry.startsWith('^')) return [{ target: entry.slice(1), dependencies: true }];
  const hash = entry.indexOf('#');
  if (hash > 0) {
    const pkg = entry.slice(0, hash);
    if (pkg === '//') return rootProject === undefined ? [] : [{ target: entry.slice(hash + 1), projects: [rootProject] }];
    return [{ target: entry.slice(hash + 1), projects: [pkg] }];
  }
  return [{ target: entry, projects: 'self' }];
}

function persistentDependency(
  entry: string,
  p: TurboProject,
  byName: ReadonlyMap<string, TurboProject>,
  rootProject: TurboProject | undefined,
  isPersistent: (p: TurboProject | undefined, task: string) => boolean,
): string | undefined {
  if (entry.startsWith('^')) {
    const task = entry.slice(1);
    const dep = p.dependsOnPackages.map((n) => byName.get(n)).find((q) => isPersistent(q, task));
    return dep && `${dep.name}#${task}`;
  }
  const hash = entry.indexOf('#');
  if (hash > 0) {
    const pkg = entry.slice(0, hash);
    const task = entry.slice(hash + 1);
    return isPersistent(pkg === '//' ? rootProject : byName.get(pkg), task) ? entry : undefined;
  }
  return isPersistent(p, entry) ? `${p.name}#${entry}` : undefined;
}

/**
 * turbo's inputs as kiln inputs: the package's files (`$TURBO_DEFAULT$`, or the globs given,
 * relative to the package; `$TURBO_ROOT$/` to the repository), its package.json and turbo.json
 * always, `globalDependencies`, and `env`/`globalEnv` (patterns kept: `hash/` expands them).
 * No `^` input: a task's hash takes in the hashes of the tasks it depends on, as turbo's does.
 */
export function translateInputs(def: TurboTaskDefinition, root: string, config: TurboConfig): NonNullable<TargetConfiguration['inputs']> {
  const files: NonNullable<TargetConfiguration['inputs']> = [];
  if (def.inputs === undefined) files.push('{projectRoot}/**/*');
  for (const input of def.inputs ?? []) {
    if (input === '$TURBO_DEFAULT$') files.push('{projectRoot}/**/*');
    else if (input === EXTENDS) continue;
    else if (typeof input === 'string') files.push(toFileset(input, 'input'));
    else files.push(...structuredInput(input));
  }
  const at = (f: string) => `{workspaceRoot}/${root === '' ? '' : `${root}/`}${f}`;
  // Always inputs, whatever the globs say (turbo's rule): written at workspace scope, which project-scope `!` globs do not narrow.
  files.push(at('package.json'));
  const own = config.packages.get(root);
  if (own) files.push(at(own.file.slice(own.file.lastIndexOf('/') + 1)));
  for (const g of config.root.globalDependencies) files.push(g.startsWith('!') ? `!{workspaceRoot}/${trimDot(g.slice(1))}` : `{workspaceRoot}/${trimDot(g)}`);
  const env = [...config.root.globalEnv, ...(def.env ?? []).filter((e) => e !== EXTENDS)];
  return [...files, ...[...new Set(env)].map((name) => ({ env: name }))];
}

function structuredInput(input: TurboStructuredInput): NonNullable<TargetConfiguration['inputs']> {
  const globs = input.globs ?? [];
  // dependencyOutputs: the files the dependencies' tasks produced; jit (hash after the dependencies ran) is hashed up front by kiln.
  if (input.mode === 'dependencyOutputs') return globs.map((g) => ({ dependentTasksOutputFiles: g.startsWith('$TURBO_ROOT$/') ? g.slice(13) : g, transitive: false }));
  return globs.map((g) => toFileset(g, 'input'));
}

/** A turbo glob (relative to the package; `$TURBO_ROOT$/` for the repository; `!` negates) as an Nx fileset. */
export function toFileset(glob: string, _kind: 'input' | 'output'): string {
  const negated = glob.startsWith('!');
  let g = negated ? glob.slice(1) : glob;
  let base = '{projectRoot}';
  if (g.startsWith('$TURBO_ROOT$')) {
    base = '{workspaceRoot}';
    g = g.slice('$TURBO_ROOT$'.length).replace(/^\/+/, '');
  }
  return `${negated ? '!' : ''}${base}/${trimDot(g)}`;
}

function trimDot(g: string): string {
  return g.replace(/^(\.\/)+/, '');
}

function turboMetadata(def: TurboTaskDefinition, file: string): Record<string, unknown> {
  const keep: Record<string, unknown> = { file };
  for (const key of ['persistent', 'interactive', 'interruptible', 'outputLogs', 'passThroughEnv', 'tags', 'with'] as const) if (def[key] !== undefined) keep[key] = def[key];
  return keep;
}
