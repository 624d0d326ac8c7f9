/**
 * A change to the files that configure projects (project.json, package.json, nx.json...), judged
 * by comparing each project's effective configuration at base and head: added, changed and moved
 * projects are touched; a removed project touches whoever still uses it and whoever owns its old
 * root now. The two workspaces come in as data.
 */
import { ProjectIndex } from '../graph/project-index.js';
import { canonicalJson } from '../model/index.js';
import type { Reason, Touch } from './types.js';
import { compareConfigs, type ProjectConfigFingerprint } from './workspace-files.js';

/** A project as its configuration defines it (the workspace reader's `Project` is one). */
export interface ConfiguredProject {
  readonly name: string;
  readonly root: string;
  readonly config: unknown;
  readonly namedInputs?: Readonly<Record<string, readonly unknown[]>>;
  readonly implicitDependencies: readonly string[];
  readonly packageJson?: { readonly name?: string };
  readonly configFiles: readonly string[];
}

/** The projects of a workspace at one end of the change, and nx.json's named inputs there. */
export interface ConfiguredWorkspace {
  readonly projects: readonly ConfiguredProject[];
  readonly namedInputs?: Readonly<Record<string, readonly unknown[]>>;
}

/**
 * Touches from the configuration change between `base` and `head`. `file` names the reason (nx.json
 * when it changed, else the first changed config file); `external` is each project's external
 * package names at head (a removed project is one of them now, for those that still use it).
 */
export function configChangeTouches(base: ConfiguredWorkspace, head: ConfiguredWorkspace, file: string, external: ReadonlyMap<string, readonly string[]>): Touch[] {
  const compared = compareConfigs(fingerprints(base), fingerprints(head), file);
  return [...compared.touches, ...removedProjectTouches(compared.removed, base, head, external)];
}

function fingerprints(ws: ConfiguredWorkspace): ProjectConfigFingerprint[] {
  const named = ws.namedInputs ?? {};
  return ws.projects.map((p) => ({
    name: p.name,
    root: p.root,
    fingerprint: canonicalJson({ root: p.root, config: p.config, namedInputs: { ...named, ...p.namedInputs }, implicitDependencies: p.implicitDependencies }),
  }));
}

/**
 * A project that existed at base but not at head: the projects that still use it (now an
 * unresolved external name in their package.json or imports) are affected, as is whoever owns
 * its old root now (its files changed hands).
 */
function removedProjectTouches(removed: readonly ProjectConfigFingerprint[], base: ConfiguredWorkspace, head: ConfiguredWorkspace, external: ReadonlyMap<string, readonly string[]>): Touch[] {
  const touches: Touch[] = [];
  const index = new ProjectIndex(head.projects);
  const atBase = new Map(base.projects.map((p) => [p.name, p]));
  const removedDependency = (on: string): Reason => ({ kind: 'dependency', on, ...({ removed: true } as object) }) as Reason;
  for (const r of removed) {
    const was = atBase.get(r.name)!;
    const names = new Set([r.name, ...(was.packageJson?.name ? [was.packageJson.name] : [])]);
    const file = was.configFiles[0] ?? r.root;
    for (const [project, externals] of external) if (externals.some((e) => names.has(e))) touches.push({ project, reason: removedDependency(r.name) });
    for (const p of head.projects) if (p.implicitDependencies.includes(r.name)) touches.push({ project: p.name, reason: removedDependency(r.name) });
    const heir = index.projectOf(r.root);
    if (heir !== undefined) touches.push({ project: heir, reason: { kind: 'file', file, detail: `project ${r.name} was removed; its files now belong here` } });
  }
  return touches;
}
