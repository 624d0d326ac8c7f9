/**
 * The workspace reader's side of turbo.json: finds and reads the root and package configurations,
 * hands the translation to the reader's hook, and, where nx.json wins, warns of targets that the
 * two define differently. Pure: the caller passes the file list and a reader.
 */
import type { TargetConfiguration } from '@nx/devkit';
import { diagnostic, type Diagnostic } from '../model/index.js';
import { readTurboFile, TURBO_DOCS, type TurboFile } from './turbo-config.js';
import { translateTurbo, TURBO_FILES, type TurboConfig, type TurboTranslation } from './turbo.js';

/**
 * Reads turbo.json (or turbo.jsonc) at the root and in each of `projectRoots`; undefined when
 * there is no root file. Syntax and shape problems come back located.
 */
export function readTurboConfig(
  fileSet: ReadonlySet<string>,
  projectRoots: Iterable<string>,
  read: (path: string) => string | undefined,
): { ok: true; value: TurboConfig | undefined } | { ok: false; error: Diagnostic[] } {
  const problems: Diagnostic[] = [];
  const load = (dir: string): TurboFile | undefined => {
    const present = TURBO_FILES.map((f) => (dir === '' ? f : `${dir}/${f}`)).filter((f) => fileSet.has(f));
    if (present.length === 0) return undefined;
    if (present.length > 1)
      problems.push(diagnostic('invalid-config', `${present.join(' and ')} both exist; turbo reads only one of them.`, { location: { file: present[1]! }, hint: 'Keep one.' }));
    const text = read(present[0]!);
    if (text === undefined) return undefined;
    const r = readTurboFile(text, present[0]!, dir);
    if (!r.ok) problems.push(...r.error);
    return r.ok ? r.value : undefined;
  };
  const root = load('');
  const packages = new Map<string, TurboFile>();
  for (const dir of projectRoots) {
    if (dir === '') continue;
    const f = load(dir);
    if (f) packages.set(dir, f);
  }
  if (problems.length > 0) return { ok: false, error: problems };
  return { ok: true, value: root && { root, packages } };
}

/**
 * Where nx.json wins: a warning for each target both define whose `dependsOn`, `outputs` or
 * caching differ (turbo's definition is not used; the warning says so).
 */
export function turboConflicts(translated: TurboTranslation, project: string, root: string, nxTargets: Readonly<Record<string, TargetConfiguration>>): Conflict[] {
  const out: Conflict[] = [];
  const turboTargets = translated.targets.get(root) ?? {};
  for (const [name, t] of Object.entries(turboTargets)) {
    const nx = nxTargets[name];
    const turbo = (t.metadata as { turbo?: { noScript?: boolean; file?: string } } | undefined)?.turbo;
    if (!nx || turbo?.file === undefined) continue;
    const differs: string[] = [];
    if (dependsOnKey(t.dependsOn) !== dependsOnKey(nx.dependsOn)) differs.push('dependsOn');
    if (outputsKey(t.outputs) !== outputsKey(nx.outputs)) differs.push('outputs');
    if ((t.cache === true) !== (nx.cache === true)) differs.push('cache');
    if (differs.length > 0) out.push({ project, target: name, file: turbo.file, differs: differs.join(', ') });
  }
  return out;
}

/** A target turbo.json and the Nx configuration define differently. */
export interface Conflict {
  readonly project: string;
  readonly target: string;
  /** The turbo.json that defines it. */
  readonly file: string;
  readonly differs: string;
}

/** One warning per turbo.json task and difference, naming the projects (a few, then how many more). */
export function conflictWarnings(config: TurboConfig, conflicts: readonly Conflict[]): Diagnostic[] {
  const groups = new Map<string, Conflict[]>();
  for (const c of conflicts) {
    const key = `${c.file}\0${c.target}\0${c.differs}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups.values()].map((list) => {
    const { file, target, differs } = list[0]!;
    const doc = file === config.root.file ? config.root.doc : [...config.packages.values()].find((f) => f.file === file)?.doc;
    const own = list.length === 1 && Object.hasOwn(config.root.tasks, `${list[0]!.project}#${target}`) ? `${list[0]!.project}#${target}` : target;
    const names = list.map((c) => c.project).sort();
    const shown = names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
    return diagnostic(
      'turbo-conflict',
      `turbo.json and the Nx configuration define "${target}" differently (${differs}) in ${shown}; nx.json is present, so kiln uses the Nx definition.`,
      {
        severity: 'warning',
        ...(doc && { location: doc.locate(['tasks', file === config.root.file ? own : target]) }),
        hint: `Make the two agree, or remove nx.json to let turbo.json configure the workspace (see ${TURBO_DOCS} and kiln's docs/turbo.md).`,
      },
    );
  });
}

function dependsOnKey(list: TargetConfiguration['dependsOn']): string {
  const keys = (list ?? []).map((d) => {
    if (typeof d === 'string') return d.startsWith('^') ? d : d.includes(':') ? d.replace(':', '#') : d;
    if (d.dependencies) return `^${d.target}`;
    const projects = (d as { projects?: unknown }).projects;
    return Array.isArray(projects)
      ? `${projects.join(',')}#${d.target}`
      : typeof projects === 'string' && projects !== 'self' && projects !== '{self}'
        ? `${projects}#${d.target}`
        : d.target;
  });
  return [...new Set(keys)].sort().join('\n');
}

function outputsKey(list: readonly string[] | undefined): string {
  const norm = (o: string) => o.replace(/^(!?)\{projectRoot\}\//, '$1').replace(/\/\*\*(\/\*)?$/, '');
  return [...new Set((list ?? []).map(norm))].sort().join('\n');
}

/** What the workspace reader asks of turbo.json: a few calls, so its hook stays a few lines. */
export interface WorkspaceTurbo {
  /** Whether turbo.json configures the workspace (there is no nx.json). */
  readonly configures: boolean;
  /** Errors when turbo.json configures the workspace; otherwise its problems are warnings. */
  readonly problems: readonly Diagnostic[];
  /** Problems that do not stop loading: a turbo.json nx.json makes unused, targets defined differently. */
  warnings(): Diagnostic[];
  /** The project's targets with turbo's definitions written on (when it configures the workspace). */
  targetsFor(root: string, targets: Record<string, TargetConfiguration>): Record<string, TargetConfiguration>;
  tagsFor(root: string): readonly string[];
  /** nx.json present: notes the targets turbo.json defines otherwise (for `warnings`). */
  checkConflicts(project: string, root: string, nxTargets: Readonly<Record<string, TargetConfiguration>>): void;
}

/**
 * turbo.json for a workspace being read: `files` sorted (package configurations are looked up in
 * it), `projects` with their targets as package.json and project.json give them.
 */
export function workspaceTurbo(
  files: readonly string[],
  read: (path: string) => string | undefined,
  hasNxJson: boolean,
  projects: readonly { root: string; name: string; targets: Record<string, TargetConfiguration>; packageDependencies: readonly string[] }[],
): WorkspaceTurbo | undefined {
  if (!TURBO_FILES.some((f) => hasSorted(files, f))) return undefined;
  const present = new Set(TURBO_FILES.flatMap((f) => projects.map((p) => (p.root === '' ? f : `${p.root}/${f}`))).filter((f) => hasSorted(files, f)));
  for (const f of TURBO_FILES) if (hasSorted(files, f)) present.add(f);
  const warnings: Diagnostic[] = [];
  const loaded = readTurboConfig(
    present,
    projects.map((p) => p.root),
    read,
  );
  const asWarnings = (list: readonly Diagnostic[]) =>
    list.map((d) => ({ ...d, severity: 'warning' as const, hint: `${d.hint ?? ''} nx.json is present, so kiln does not use turbo.json.`.trim() }));
  if (!loaded.ok || loaded.value === undefined) {
    const problems = loaded.ok ? [] : loaded.error;
    if (hasNxJson) warnings.push(...asWarnings(problems));
    return { configures: !hasNxJson, problems: hasNxJson ? [] : problems, warnings: () => warnings, targetsFor: (_r, t) => t, tagsFor: () => [], checkConflicts: () => undefined };
  }
  const config = loaded.value;
  const names = new Set(projects.map((p) => p.name));
  const turboProjects = projects.map((p) => ({ root: p.root, name: p.name, targets: p.targets, dependsOnPackages: p.packageDependencies.filter((d) => names.has(d)) }));
  const translation = translateTurbo(config, turboProjects);
  const conflicts: Conflict[] = [];
  if (hasNxJson) warnings.push(...asWarnings(translation.problems));
  return {
    configures: !hasNxJson,
    problems: hasNxJson ? [] : translation.problems,
    warnings: () => [...warnings, ...conflictWarnings(config, conflicts)],
    targetsFor: (root, targets) => (hasNxJson ? targets : (translation.targets.get(root) ?? targets)),
    tagsFor: (root) => (hasNxJson ? [] : (translation.tags.get(root) ?? [])),
    checkConflicts: (project, root, nxTargets) => {
      if (hasNxJson) conflicts.push(...turboConflicts(translation, project, root, nxTargets));
    },
  };
}

function hasSorted(list: readonly string[], value: string): boolean {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = list[mid]!;
    if (v === value) return true;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
