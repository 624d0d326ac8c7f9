/**
 * Workspace-wide files, narrowed: what a change to the root package.json, the root tsconfig or
 * nx.json means for projects. Each rule takes both versions as parsed data and says either which
 * projects (or external packages) it touches, or that it cannot narrow the change (a global reason).
 */
import { ProjectIndex } from '../graph/project-index.js';
import { asRecord, changedKeys, jsonEqual } from './json-diff.js';
import type { ProjectRef, Reason, Touch } from './types.js';

export interface Narrowed {
  readonly touches: Touch[];
  /** External package names whose declaration changed; their users are touched by the caller. */
  readonly packages: string[];
  /** Reasons that make everything affected. */
  readonly global: Reason[];
  /** Whether the set of projects may have changed (compare the workspace at base and head). */
  projectsMayChange: boolean;
}

const none = (): Narrowed => ({ touches: [], packages: [], global: [], projectsMayChange: false });

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];
/** Root package.json fields that concern only the root package itself (owned by a root project, if any). */
const ROOT_ONLY_FIELDS = new Set([
  'name', 'version', 'description', 'private', 'license', 'author', 'contributors', 'maintainers', 'repository', 'homepage',
  'bugs', 'keywords', 'funding', 'scripts', 'nx', 'files', 'publishConfig', 'main', 'module', 'exports', 'types', 'typings',
  'bin', 'man', 'directories', 'engines', 'devEngines', 'os', 'cpu', 'config', '$schema', 'sideEffects', 'kiln',
]);

/** A config file that was added, deleted or is not an object on one side cannot be narrowed: global. */
function wholeFileChanged(out: Narrowed, file: string, a: unknown, b: unknown): Narrowed {
  out.global.push({ kind: 'global', file, detail: a === undefined && b === undefined ? 'not readable' : a === undefined ? 'added' : 'deleted' });
  return out;
}

/**
 * The root package.json, field by field: a dependency or override names the packages it changes;
 * `workspaces` may change the projects; fields about the root package alone touch nothing here
 * (the file still belongs to a root project, if there is one); anything else (`type`,
 * `packageManager`, tool configs) may change every build, so it is global.
 */
export function narrowRootPackageJson(file: string, before: unknown, after: unknown): Narrowed {
  const out = none();
  const a = asRecord(before);
  const b = asRecord(after);
  if (a === undefined || b === undefined) return wholeFileChanged(out, file, a, b);
  const packages = new Set<string>();
  for (const key of changedKeys(a, b)) {
    if (DEPENDENCY_FIELDS.includes(key)) {
      const da = asRecord(a[key]) ?? {};
      const db = asRecord(b[key]) ?? {};
      for (const name of changedKeys(da, db)) {
        if (name in da && !(name in db) && !DEPENDENCY_FIELDS.some((f) => name in (asRecord(b[f]) ?? {})))
          out.global.push({ kind: 'global', file, detail: `${key}.${name} was removed; kiln cannot tell which projects imported it` });
        else packages.add(name);
      }
    } else if (key === 'overrides' || key === 'resolutions') {
      for (const k of changedKeys(asRecord(a[key]), asRecord(b[key]))) for (const n of overrideNames(k)) packages.add(n);
    } else if (key === 'pnpm') {
      const pa = asRecord(a.pnpm) ?? {};
      const pb = asRecord(b.pnpm) ?? {};
      for (const k of changedKeys(pa, pb)) {
        if (k === 'overrides') for (const o of changedKeys(asRecord(pa[k]), asRecord(pb[k]))) for (const n of overrideNames(o)) packages.add(n);
        else out.global.push({ kind: 'global', file, detail: `pnpm.${k} changed` });
      }
    } else if (key === 'workspaces') {
      out.projectsMayChange = true;
    } else if (!ROOT_ONLY_FIELDS.has(key)) {
      out.global.push({ kind: 'global', file, detail: `"${key}" changed and kiln cannot tell which projects it concerns` });
    }
  }
  out.packages.push(...[...packages].sort());
  return out;
}

/** Package names in an override key: `foo`, `foo@1`, `a>foo`, `**\/foo`, `@s/a@^1>@s/b`. */
function overrideNames(key: string): string[] {
  return key
    .split('>')
    .flatMap((part) => {
      const segs = part.split('/').filter((s) => s !== '**' && s !== '*' && s !== '');
      // Re-join scoped names: `@s`, `b@1` → `@s/b@1`.
      const names: string[] = [];
      for (let i = 0; i < segs.length; i++) {
        const s = segs[i]!;
        if (s.startsWith('@') && i + 1 < segs.length) names.push(`${s}/${segs[++i]!}`);
        else names.push(s);
      }
      return names.map((n) => {
        const at = n.indexOf('@', 1);
        return at === -1 ? n : n.slice(0, at);
      });
    })
    .filter((n) => n !== '');
}

/**
 * The root tsconfig: a change only to `compilerOptions.paths` touches the projects whose roots hold
 * the old or the new target of each changed alias; a removed alias, or any other change, may change
 * how every project compiles, so it is global.
 */
export function narrowRootTsconfig(file: string, before: unknown, after: unknown, projects: readonly ProjectRef[]): Narrowed {
  const out = none();
  const a = asRecord(before);
  const b = asRecord(after);
  if (a === undefined || b === undefined) return wholeFileChanged(out, file, a, b);
  const other = changedKeys(a, b).filter((k) => k !== 'compilerOptions');
  const ca = asRecord(a.compilerOptions) ?? {};
  const cb = asRecord(b.compilerOptions) ?? {};
  other.push(...changedKeys(ca, cb).filter((k) => k !== 'paths').map((k) => `compilerOptions.${k}`));
  if (other.length > 0) {
    out.global.push({ kind: 'global', file, detail: `${other.join(', ')} changed` });
    return out;
  }
  const pa = asRecord(ca.paths) ?? {};
  const pb = asRecord(cb.paths) ?? {};
  const index = new ProjectIndex(projects);
  for (const alias of changedKeys(pa, pb)) {
    if (!(alias in pb)) {
      out.global.push({ kind: 'global', file, detail: `paths["${alias}"] was removed; kiln cannot tell which projects imported it` });
      continue;
    }
    for (const target of [...toList(pa[alias]), ...toList(pb[alias])]) {
      const dir = target.replace(/^\.\//, '').replace(/\*.*$/, '').replace(/\/$/, '');
      const owner = index.projectOf(dir);
      if (owner !== undefined) out.touches.push({ project: owner, reason: { kind: 'file', file, detail: `paths["${alias}"] changed` } });
    }
  }
  return out;
}

const toList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** nx.json keys that change no project's graph, inputs or configuration. */
const NX_JSON_INERT = new Set([
  '$schema', 'analytics', 'defaultBase', 'affected', 'cli', 'generators', 'release', 'owners', 'kiln', 'tasksRunnerOptions', 'nxCloudAccessToken',
  'nxCloudId', 'nxCloudUrl', 'nxCloudEncryptionKey', 'neverConnectToCloud', 'parallel', 'cacheDirectory', 'tui', 'useDaemonProcess',
  'defaultProject', 'installation', 'useInferencePlugins', 'sync', 'conformance', 'maxCacheSize', 'extends', 'npmScope', 'useLegacyCache',
]);
/** nx.json keys whose effect shows in each project's effective configuration (compared separately). */
const NX_JSON_PER_PROJECT = new Set(['targetDefaults', 'namedInputs', 'workspaceLayout', 'implicitDependencies']);

/**
 * nx.json: keys that shape each project's effective configuration are left to the comparison of
 * the workspace at base and head (`projectsMayChange`); inert keys touch nothing; plugins and
 * anything unknown are global.
 */
export function narrowNxJson(file: string, before: unknown, after: unknown): Narrowed {
  const out = none();
  const a = asRecord(before) ?? {};
  const b = asRecord(after) ?? {};
  if (before === undefined || after === undefined) out.projectsMayChange = true;
  for (const key of changedKeys(a, b)) {
    if (NX_JSON_INERT.has(key)) continue;
    if (NX_JSON_PER_PROJECT.has(key)) out.projectsMayChange = true;
    else out.global.push({ kind: 'global', file, detail: `"${key}" changed and kiln cannot tell which projects it concerns` });
  }
  return out;
}

/** A project's effective configuration, for comparing base and head. */
export interface ProjectConfigFingerprint {
  readonly name: string;
  readonly root: string;
  /** Canonical JSON of everything that shapes the project's graph edges, tasks and inputs. */
  readonly fingerprint: string;
}

/**
 * Projects whose effective configuration differs between base and head (new ones included), and
 * projects that existed at base but not at head.
 */
export function compareConfigs(
  before: readonly ProjectConfigFingerprint[],
  after: readonly ProjectConfigFingerprint[],
  file: string,
): { touches: Touch[]; removed: ProjectConfigFingerprint[] } {
  const old = new Map(before.map((p) => [p.name, p]));
  const now = new Set(after.map((p) => p.name));
  const touches: Touch[] = [];
  for (const p of after) {
    const was = old.get(p.name);
    if (was === undefined) touches.push({ project: p.name, reason: { kind: 'file', file, detail: 'project added' } });
    else if (!jsonEqual(was.fingerprint, p.fingerprint))
      touches.push({ project: p.name, reason: { kind: 'file', file, detail: was.root === p.root ? 'configuration changed' : `moved from ${was.root || '.'}` } });
  }
  return { touches, removed: before.filter((p) => !now.has(p.name)) };
}
