/**
 * From config files to projects, the way Nx derives them (Nx's package-json and project-json
 * plugins, merged by root): which package.json files are projects, their names, roots, tags,
 * types and targets. Pure: the caller passes the file list and a reader.
 */
import micromatch from 'micromatch';
import type { NxJsonConfiguration, ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import { diagnostic, projectName, toRepoPath, type Diagnostic, type ProjectName, type RepoPath } from '../model/index.js';
import { parseJson, type ParsedJson } from './json.js';
import { parseYaml } from './yaml.js';
import { Checker, checkLernaJson, checkNxJson, checkPackageJson, checkPnpmWorkspace, checkProjectJson, dependencyKinds, isObject } from './validate.js';
import { mergeProjectConfig, mergeTargets, normalizeTargets, scriptTarget } from './targets.js';
import { defaultKilnConfig, readKilnConfig, type KilnConfig } from './kiln-config.js';
import { unknownOwnTargets } from './depends-on.js';
import { workspaceTurbo } from './turbo-workspace.js';
import { visibleFiles } from './visible-files.js';
import type { DependencyKind, InferenceGap, InferredNodes, PackageJsonInfo, PluginConfigMatch, PackageManager, Project, ProjectType, TsconfigPaths, Workspace } from './types.js';

export interface WorkspaceInput {
  /** Absolute path of the workspace root (kept on the result, never read here). */
  readonly root: string;
  /** Every file of the workspace, repo-relative with `/`. */
  readonly files: readonly string[];
  /** Reads a file (repo-relative); undefined when it cannot be read. Called only for config files. */
  readonly read: (path: string) => string | undefined;
  /** What nx.json's plugins inferred, in nx.json's order (`plugins/`); merged under package.json and project.json, as Nx orders them. */
  readonly inferred?: readonly InferredNodes[];
  /** Config files the plugins could not infer from, and the warnings that say so. */
  readonly inferenceGaps?: readonly InferenceGap[];
  readonly inferenceProblems?: readonly Diagnostic[];
  readonly pluginConfigs?: readonly PluginConfigMatch[];
  /** Whether @nx/js is installed: Nx then gives every public package an `nx-release-publish` target. */
  readonly nxJsInstalled?: boolean;
}

/** Builds the workspace, or returns every problem found (syntax, types, duplicate or missing names). */
export function buildWorkspace(input: WorkspaceInput): { ok: true; value: Workspace } | { ok: false; error: Diagnostic[] } {
  const problems: Diagnostic[] = [];
  const warnings: Diagnostic[] = [...(input.inferenceProblems ?? [])];
  const files = visibleFiles(input.files, input.read);
  // One pass over the (possibly 100,000) files for everything derivation needs to know of them.
  const fileSet = new Set<string>();
  const projectJsons: string[] = [];
  const packageJsons: string[] = [];
  for (const f of files) {
    const slash = f.lastIndexOf('/');
    if (slash < 0) fileSet.add(f);
    const base = slash < 0 ? f : f.slice(slash + 1);
    if (base.length < 12 || base.charCodeAt(0) !== 112 /* p */ && base.charCodeAt(0) !== 116 /* t */) continue;
    if (f.includes('node_modules/')) continue;
    if (base === 'project.json') projectJsons.push(f);
    else if (base === 'package.json') packageJsons.push(f);
    else if (base === 'tsconfig.lib.json' || base === 'tsconfig.app.json') fileSet.add(f);
  }

  const load = (path: string, check: (c: Checker) => void, yaml = false): ParsedJson | undefined => {
    const text = input.read(path);
    if (text === undefined) return undefined;
    const parsed = yaml ? parseYaml(text, path) : parseJson(text, path);
    if (!parsed.ok) {
      problems.push(...parsed.error);
      return undefined;
    }
    const c = new Checker(parsed.value);
    check(c);
    problems.push(...c.problems);
    return c.problems.length === 0 ? parsed.value : undefined;
  };

  let kiln: KilnConfig = defaultKilnConfig(input.root);
  const checkNx = (c: Checker) => {
    checkNxJson(c);
    kiln = readKilnConfig(c, input.root);
  };
  const nxJson = (fileSet.has('nx.json') ? load('nx.json', checkNx)?.value : undefined) as NxJsonConfiguration | undefined;
  const rootPkgDoc = fileSet.has('package.json') ? load('package.json', checkPackageJson) : undefined;
  const rootPkg = rootPkgDoc?.value as Record<string, any> | undefined;
  const pnpm = fileSet.has('pnpm-workspace.yaml') ? (load('pnpm-workspace.yaml', checkPnpmWorkspace, true)?.value as { packages?: string[] } | undefined) : undefined;

  const lerna = fileSet.has('lerna.json') ? (load('lerna.json', checkLernaJson)?.value as { packages?: string[] } | undefined) : undefined;
  const patterns = workspacePatterns(rootPkg, pnpm, lerna);
  const inWorkspaces = workspacesMatcher(patterns);
  const packageManager = detectPackageManager(fileSet);
  const runCommand = (script: string) =>
    packageManager === 'yarn' ? `yarn ${script}` : `${packageManager} run ${script}`;

  const projectJsonRoots = new Set(projectJsons.map(dirOf));

  // Per root: what nx.json's plugins infer, then package.json merged over it, then project.json (Nx's plugin order).
  // `docs`: each config file with where its own targets are, for the dependsOn check.
  type Entry = { config: Record<string, any>; configFiles: RepoPath[]; docs: { doc: ParsedJson; targetsAt: string[] }[]; packageJson?: PackageJsonInfo; nameFromProjectJson?: boolean; inferredBy?: string[] };
  const byRoot = new Map<string, Entry>();

  const inferredOnly = new Set<string>();
  for (const { plugin, files: perFile } of input.inferred ?? [])
    for (const { file, projects: nodes } of perFile)
      for (const [nodeRoot, node] of Object.entries(nodes)) {
        if (!node || typeof node !== 'object') continue;
        const root = nodeRoot === '.' ? '' : (toRepoPath(nodeRoot) ?? nodeRoot);
        const existing = byRoot.get(root);
        if (!existing) inferredOnly.add(root);
        const { root: _root, ...rest } = node as Record<string, any>;
        byRoot.set(root, { config: mergeProjectConfig(existing?.config ?? { root }, rest), configFiles: [...(existing?.configFiles ?? []), file as RepoPath], docs: existing?.docs ?? [], inferredBy: [...(existing?.inferredBy ?? []), plugin] });
      }

  for (const file of packageJsons) {
    const root = dirOf(file);
    const inWs = inWorkspaces(file);
    if (!inWs && !projectJsonRoots.has(root)) continue;
    const doc = file === 'package.json' ? rootPkgDoc : load(file, checkPackageJson);
    const pkg = doc?.value as Record<string, any> | undefined;
    if (!doc || !pkg) continue;
    const siblingProjectJson = projectJsonRoots.has(root) ? (parseQuiet(input.read(joinPath(root, 'project.json')))) : undefined;
    const config = projectFromPackageJson(pkg, root, siblingProjectJson, nxJson, runCommand, input.nxJsInstalled === true);
    if (config.name === undefined && root === '') {
      problems.push(
        diagnostic('missing-project-name', 'the root package.json is a project but has no "name".', {
          location: { file },
          hint: 'Add a "name" to package.json, or leave it out of the workspaces patterns.',
        }),
      );
      continue;
    }
    const inferred = byRoot.get(root);
    inferredOnly.delete(root);
    byRoot.set(root, {
      config: inferred ? mergeProjectConfig(inferred.config, config) : config,
      configFiles: [...(inferred?.configFiles ?? []), file as RepoPath].sort(),
      docs: [{ doc, targetsAt: ['nx', 'targets'] }],
      packageJson: packageJsonInfo(pkg, file, inWs),
    });
  }

  for (const file of projectJsons) {
    const doc = load(file, checkProjectJson);
    const json = doc?.value as Record<string, any> | undefined;
    if (!doc || !json) continue;
    const { name, root: declaredRoot, ...rest } = json;
    const root = declaredRoot !== undefined ? (toRepoPath(declaredRoot) ?? dirOf(file)) : dirOf(file);
    const existing = byRoot.get(root);
    inferredOnly.delete(root);
    const merged = mergeProjectConfig(existing?.config ?? { root }, { ...(name !== undefined && { name }), ...rest });
    byRoot.set(root, {
      config: merged,
      configFiles: [...(existing?.configFiles ?? []), file as RepoPath].sort(),
      docs: [...(existing?.docs ?? []), { doc, targetsAt: ['targets'] }],
      ...(existing?.packageJson && { packageJson: existing.packageJson }),
      nameFromProjectJson: name !== undefined,
    });
  }

  // Names: project.json's, else package.json's, else the directory's (lowercased, as Nx does).
  const projects = new Map<ProjectName, Project>();
  const rootsByName = new Map<string, string[]>();
  for (const root of inferredOnly) {
    const entry = byRoot.get(root)!;
    if (entry.config.name !== undefined) continue;
    // Nx refuses a project no file names; kiln leaves it out, and says so.
    const shown = root === '' ? '.' : root;
    warnings.push(
      diagnostic('nx-plugin-failed', `${entry.inferredBy!.join(', ')} inferred a project at ${shown} without a name; kiln leaves it out.`, {
        severity: 'warning',
        location: { file: entry.configFiles[0]! },
        hint: 'Give it a package.json or project.json with a "name".',
      }),
    );
    byRoot.delete(root);
  }
  const entries = [...byRoot.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [root, entry] of entries) {
    entry.config.name ??= root === '' ? undefined : root.slice(root.lastIndexOf('/') + 1).toLowerCase();
    if (entry.config.name === undefined) {
      problems.push(diagnostic('missing-project-name', 'the project at the workspace root has no name.', { location: { file: entry.configFiles[0]! }, hint: 'Add a "name" to it.' }));
      continue;
    }
    const list = rootsByName.get(entry.config.name) ?? [];
    list.push(root);
    rootsByName.set(entry.config.name, list);
  }
  for (const [name, roots] of rootsByName) {
    if (roots.length > 1) {
      const shown = roots.map((r) => (r === '' ? '.' : r));
      problems.push(
        diagnostic('duplicate-project-name', `${roots.length} projects are named "${name}": ${shown.join(' and ')}.`, {
          location: { file: byRoot.get(roots[1]!)!.configFiles[0]! },
          hint: 'Project names must be unique: rename one in its project.json "name" (or package.json "name").',
        }),
      );
    }
  }
  // turbo.json, translated onto the targets (docs/turbo.md); with nx.json present, Nx's definitions win.
  const turbo = workspaceTurbo(files, input.read, nxJson !== undefined, entries.map(([root, e]) => ({ root, name: e.config.name, targets: e.config.targets ?? {}, packageDependencies: Object.keys({ ...e.packageJson?.dependencies.dependencies, ...e.packageJson?.dependencies.devDependencies }) })));
  problems.push(...(turbo?.problems ?? []));
  if (problems.length > 0) return { ok: false, error: problems };

  for (const [root, entry] of entries) {
    const c = entry.config;
    const name = projectName(c.name as string);
    const nxRoot = root === '' ? '.' : root;
    if (turbo?.configures) [c.targets, c.tags] = [turbo.targetsFor(root, c.targets ?? {}), [...new Set([...(c.tags ?? []), ...turbo.tagsFor(root)])]];
    const targets = normalizeTargets(c.targets ?? {}, { root: nxRoot, name }, nxJson?.targetDefaults as Record<string, Partial<TargetConfiguration>> | undefined);
    turbo?.checkConflicts(name, root, targets);
    for (const { doc, targetsAt } of entry.docs) problems.push(...unknownOwnTargets(name, targets, doc, targetsAt));
    const tags: string[] = c.tags ?? [];
    const implicitDependencies: string[] = c.implicitDependencies ?? [];
    const config: ProjectConfiguration = { ...c, name, root: nxRoot, tags, implicitDependencies, targets } as ProjectConfiguration;
    projects.set(name, {
      name,
      root: root as RepoPath,
      type: projectGraphType(name, c.projectType, root, fileSet, entry.packageJson),
      ...(c.projectType && { projectType: c.projectType }),
      tags,
      implicitDependencies,
      targets,
      ...(c.namedInputs && { namedInputs: c.namedInputs }),
      ...(entry.packageJson && { packageJson: entry.packageJson }),
      configFiles: entry.configFiles,
      config,
    });
  }
  if (problems.length > 0) return { ok: false, error: problems };
  const sorted = new Map([...projects.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const tsconfigPaths = readTsconfigPaths(fileSet, input.read, warnings);
  return {
    ok: true,
    value: {
      root: input.root,
      nxJson: nxJson ?? {},
      kiln,
      projects: sorted,
      files,
      ...(rootPkg && { rootPackageJson: packageJsonInfo(rootPkg, 'package.json', false) }),
      ...(tsconfigPaths && { tsconfigPaths }),
      packageManager,
      warnings: turbo ? [...warnings, ...turbo.warnings()] : warnings,
      ...(input.inferenceGaps && input.inferenceGaps.length > 0 && { inferenceGaps: input.inferenceGaps }),
      ...(input.pluginConfigs && input.pluginConfigs.length > 0 && { pluginConfigs: input.pluginConfigs }),
    },
  };
}

/**
 * The package.json globs of npm/yarn `workspaces` (array or `{packages}`), pnpm-workspace.yaml and
 * lerna.json (`packages`, by default `packages/*`), as `dir/package.json`.
 */
export function workspacePatterns(
  rootPkg: Record<string, any> | undefined,
  pnpm: { packages?: string[] } | undefined,
  lerna?: { packages?: string[] },
): string[] {
  const raw: string[] = [
    ...(Array.isArray(rootPkg?.workspaces) ? rootPkg.workspaces : (rootPkg?.workspaces?.packages ?? [])),
    ...(pnpm?.packages ?? []),
    ...(lerna ? (lerna.packages?.length ? lerna.packages : ['packages/*']) : []),
  ];
  const patterns = raw.map((p) => {
    const withFile = p.endsWith('/package.json') || p === 'package.json' ? p : `${p.replace(/\/+$/, '')}/package.json`;
    return withFile.replace(/^(!?)\.\//, '$1');
  });
  // A root package.json with an `nx` field is itself a project.
  return rootPkg?.nx ? [...patterns, 'package.json'] : patterns;
}

/** Nx's matcher: some positive pattern matches and no negative one does; only negatives means "all but". */
export function workspacesMatcher(patterns: readonly string[]): (file: string) => boolean {
  const negative = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  const positive = patterns.filter((p) => !p.startsWith('!'));
  if (negative.length > 0 && (positive.length === 0 || (positive.length === 1 && positive[0] === 'package.json'))) positive.push('**/package.json');
  if (positive.length === 0) return () => false;
  const isPositive = micromatch.matcher(positive.length === 1 ? positive[0]! : `{${positive.join(',')}}`, { dot: false });
  const isNegative = negative.length > 0 ? micromatch.matcher(negative.length === 1 ? negative[0]! : `{${negative.join(',')}}`) : () => false;
  const positiveSet = new Set(positive);
  return (file) => (positiveSet.has(file) || isPositive(file)) && !isNegative(file);
}

function projectFromPackageJson(
  pkg: Record<string, any>,
  root: string,
  siblingProjectJson: Record<string, any> | undefined,
  nxJson: NxJsonConfiguration | undefined,
  runCommand: (script: string) => string,
  nxJsInstalled: boolean,
): Record<string, any> {
  const scripts: Record<string, string> = { ...pkg.scripts };
  // A project.json target of the same name that runs something else replaces the script.
  for (const [target, t] of Object.entries((siblingProjectJson?.targets ?? {}) as Record<string, any>)) {
    if (isObject(t) && (t.command || (t.executor && (t.executor !== 'nx:run-script' || (t.options as any)?.script !== target)))) delete scripts[target];
  }
  const nx = isObject(pkg.nx) ? (pkg.nx as Record<string, any>) : {};
  const included: string[] = nx.includedScripts ?? Object.keys(scripts);
  const targets: Record<string, TargetConfiguration> = {};
  for (const script of included) if (scripts[script] !== undefined) targets[script] = scriptTarget(script, scripts, runCommand(script));
  for (const [name, t] of Object.entries((nx.targets ?? {}) as Record<string, TargetConfiguration>)) targets[name] = mergeTargets(t, targets[name]);
  if (nxJsInstalled && !pkg.private && !targets['nx-release-publish']) targets['nx-release-publish'] = releasePublishTarget(nxJson);
  const tags = [pkg.private ? 'npm:private' : 'npm:public', ...((pkg.keywords ?? []) as string[]).map((k) => `npm:${k}`), ...((nx.tags ?? []) as string[])];
  const { includedScripts: _included, targets: _targets, tags: _tags, ...nxRest } = nx;
  const config: Record<string, any> = {
    root,
    name: pkg.name ?? (root === '' ? undefined : root.slice(root.lastIndexOf('/') + 1).toLowerCase()),
    ...nxRest,
    targets,
    tags,
    metadata: {
      ...(included.length > 0 && { targetGroups: { 'NPM Scripts': included } }),
      ...(pkg.description !== undefined && { description: pkg.description }),
      js: { packageName: pkg.name, packageVersion: pkg.version, packageExports: pkg.exports, packageMain: pkg.main, isInPackageManagerWorkspaces: true },
    },
  };
  const layout = nxJson?.workspaceLayout;
  if (layout?.appsDir && layout.appsDir !== layout.libsDir && root.startsWith(layout.appsDir)) config.projectType = 'application';
  else if (layout?.libsDir !== undefined && root.startsWith(layout.libsDir)) config.projectType = 'library';
  return config;
}

/** Nx's implicit publish target of a public package (with @nx/js installed), its targetDefaults merged in. */
function releasePublishTarget(nxJson: NxJsonConfiguration | undefined): TargetConfiguration {
  const defaults = (nxJson?.targetDefaults?.['nx-release-publish'] ?? {}) as Partial<TargetConfiguration>;
  return { executor: '@nx/js:release-publish', ...defaults, dependsOn: ['^nx-release-publish', ...(defaults.dependsOn ?? [])], options: { ...defaults.options } };
}

function packageJsonInfo(pkg: Record<string, any>, file: string, inWs: boolean): PackageJsonInfo {
  const dependencies = {} as Record<DependencyKind, Record<string, string>>;
  for (const kind of dependencyKinds) dependencies[kind] = { ...pkg[kind] };
  return {
    file: file as RepoPath,
    ...(typeof pkg.name === 'string' && { name: pkg.name }),
    ...(typeof pkg.version === 'string' && { version: pkg.version }),
    private: pkg.private === true || pkg.private === 'true',
    ...(typeof pkg.main === 'string' && { main: pkg.main }),
    ...(pkg.exports !== undefined && { exports: pkg.exports }),
    hasEntryPoint: Boolean(pkg.exports || pkg.main || pkg.module || pkg.bin),
    dependencies,
    inPackageManagerWorkspaces: inWs,
  };
}

/**
 * Nx's node type: from projectType; else tsconfig.lib.json / tsconfig.app.json; else a package with
 * an entry point is a lib. `files` holds the root's files and every tsconfig.lib/app.json.
 */
function projectGraphType(name: string, projectType: string | undefined, root: string, files: ReadonlySet<string>, pkg: PackageJsonInfo | undefined): ProjectType {
  if (projectType) return projectType === 'library' ? 'lib' : name.endsWith('-e2e') || name === 'e2e' ? 'e2e' : 'app';
  if (files.has(joinPath(root, 'tsconfig.lib.json'))) return 'lib';
  if (files.has(joinPath(root, 'tsconfig.app.json'))) return 'app';
  if (pkg && !pkg.hasEntryPoint) return 'app';
  return 'lib';
}

function detectPackageManager(files: ReadonlySet<string>): PackageManager {
  if (files.has('pnpm-lock.yaml') || files.has('pnpm-workspace.yaml')) return 'pnpm';
  if (files.has('yarn.lock')) return 'yarn';
  if (files.has('bun.lockb') || files.has('bun.lock')) return 'bun';
  return 'npm';
}

/** The root tsconfig's `paths` (tsconfig.base.json, else tsconfig.json, as Nx picks it). `extends` is not followed. */
function readTsconfigPaths(files: ReadonlySet<string>, read: (p: string) => string | undefined, warnings: Diagnostic[]): TsconfigPaths | undefined {
  const file = files.has('tsconfig.base.json') ? 'tsconfig.base.json' : files.has('tsconfig.json') ? 'tsconfig.json' : undefined;
  if (!file) return undefined;
  const text = read(file);
  if (text === undefined) return undefined;
  const parsed = parseJson(text, file);
  if (!parsed.ok) {
    // tsconfig is TypeScript's file, not kiln's: a broken one costs only the `paths` edges.
    warnings.push({ ...parsed.error[0]!, severity: 'warning', hint: `kiln ignores its "paths" until ${file} parses.` });
    return undefined;
  }
  const options = (parsed.value.value as any)?.compilerOptions;
  if (!isObject(options) || !isObject(options.paths)) return undefined;
  const paths: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(options.paths)) if (Array.isArray(v)) paths[k] = v.filter((x): x is string => typeof x === 'string');
  const base = typeof options.baseUrl === 'string' ? (toRepoPath(options.baseUrl) ?? '') : '';
  return { file: file as RepoPath, base: base as RepoPath, paths };
}

function parseQuiet(text: string | undefined): Record<string, any> | undefined {
  if (text === undefined) return undefined;
  const r = parseJson(text, '');
  return r.ok && isObject(r.value.value) ? (r.value.value as Record<string, any>) : undefined;
}

export function dirOf(file: string): string {
  const at = file.lastIndexOf('/');
  return at < 0 ? '' : file.slice(0, at);
}

function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}
