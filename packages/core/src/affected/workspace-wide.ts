/**
 * Workspace-wide files, narrowed to the projects they touch: lockfiles (the external packages that
 * really changed, and which projects reach them), unreadable lockfiles (global), the root
 * package.json, the root tsconfig, nx.json and its old top-level `implicitDependencies`. Both
 * versions of each file come in as text (`FileVersions`); nothing is read here. The lockfile
 * parsers and the JSON reader load only when a file needs them.
 */
import type { Consumer, Lockfile } from '../lockfile/index.js';
import { diagnostic, err, type Diagnostic } from '../model/index.js';
import { isLockfile, isOtherLockfile, LOCKFILES, ROOT_CONFIG_FILES } from './root-files.js';
import type { ProjectRef, Reason, Touch } from './types.js';
import { narrowNxJson, narrowRootPackageJson, narrowRootTsconfig } from './workspace-files.js';

/** A changed file at both ends of the change, as text (undefined: not there, or not readable). */
export interface FileVersions {
  /** Whether there is a base to compare with (not with --files outside git, nor when failing open). */
  readonly hasBase: boolean;
  before(path: string): string | undefined;
  after(path: string): string | undefined;
}

/**
 * The workspace-wide files to read at both ends: the changed lockfiles (every lockfile that
 * `exists` when the root package.json changed: a range change may or may not show in it) and
 * the changed root config files.
 */
export function workspaceFilesToRead(changed: ReadonlySet<string>, exists: (file: string) => boolean): { lockfiles: string[]; files: string[] } {
  const lockfiles = LOCKFILES.filter((f) => changed.has(f) || (changed.has('package.json') && exists(f)));
  return { lockfiles, files: [...new Set([...lockfiles, ...ROOT_CONFIG_FILES.filter((f) => changed.has(f))])] };
}

export interface WorkspaceWideInput {
  /** Every changed path, sorted. */
  readonly paths: readonly string[];
  /** The lockfiles to compare (`workspaceFilesToRead`). */
  readonly lockfiles: readonly string[];
  readonly versions: FileVersions;
  /** The root tsconfig whose `paths` the graph uses. */
  readonly tsconfigFile: string;
  readonly projects: readonly ProjectRef[];
  /** Each project's directory and the package names it uses, asked only when a lockfile rule needs them. */
  readonly consumers: () => ReadonlyMap<string, Consumer>;
  /** nx.json as the graph read it (for its old top-level `implicitDependencies`). */
  readonly nxJson: unknown;
}

/**
 * What the workspace-wide files touch, in the order of the changed paths, and what they make
 * global; with a warning for each lockfile that could not be read (the reason alone would show
 * only in --explain).
 */
export async function workspaceWideTouches(input: WorkspaceWideInput): Promise<{ touches: Touch[]; global: Reason[]; diagnostics: Diagnostic[] }> {
  const { paths, versions } = input;
  const touches: Touch[] = [];
  const global: Reason[] = [];
  const diagnostics: Diagnostic[] = [];
  const lockfile = input.lockfiles.length > 0 || paths.includes('package.json') ? await import('../lockfile/index.js') : undefined;
  const locks = lockfile ? lockPairs(lockfile, versions, input.lockfiles) : new Map<string, LockPair>();
  const packageNames: string[] = [];
  const globals = globalPackages(input.nxJson);
  for (const file of paths) {
    if (isLockfile(file)) {
      if (!versions.hasBase) {
        global.push({ kind: 'global', file, detail: 'no base to compare the lockfile with' });
        continue;
      }
      const lock = locks.get(file);
      if (!lock || !lock.before.ok || !lock.after.ok) {
        const problem = unreadableLockfile(lock);
        if (problem && problem.code !== 'lockfile-missing') diagnostics.push(problem);
        global.push({ kind: 'global', file, detail: `the lockfile could not be compared (${problem ? whereAndWhat(problem) : 'not readable'})` });
        continue;
      }
      const diff = lockfile!.diffLockfiles(lock.before.value, lock.after.value);
      for (const c of diff.changed)
        if (globals.has(c.name) && c.before.join() !== c.after.join())
          global.push({
            kind: 'global',
            file,
            detail: `${c.name} changed version (${c.before.join(', ') || 'none'} → ${c.after.join(', ') || 'none'}); like Nx, kiln treats nx and nx.json's plugins as global`,
          });
      const hits = lockfile!.lockfileImpact(diff, input.consumers());
      for (const [project, list] of hits)
        for (const h of list)
          touches.push({ project, reason: { kind: 'lockfile', package: h.package, file, via: h.via, before: h.before, after: h.after, ...(h.detail && { detail: h.detail }) } });
    } else if (isOtherLockfile(file)) {
      global.push({ kind: 'global', file, detail: 'kiln cannot read this lockfile yet' });
    } else if (file === 'package.json') {
      const n = narrowRootPackageJson(file, await json(versions.before(file), file), await json(versions.after(file), file));
      global.push(...n.global);
      touches.push(...n.touches);
      packageNames.push(...n.packages);
      for (const name of n.packages.filter((p) => globals.has(p)))
        global.push({ kind: 'global', file, detail: `${name} changed; like Nx, kiln treats nx and nx.json's plugins as global` });
    } else if (file === input.tsconfigFile) {
      const n = narrowRootTsconfig(file, await json(versions.before(file), file), await json(versions.after(file), file), input.projects);
      global.push(...n.global);
      touches.push(...n.touches);
    } else if (file === 'nx.json') {
      const n = narrowNxJson(file, await json(versions.before(file), file), await json(versions.after(file), file));
      global.push(...n.global);
      touches.push(...n.touches);
      // With a base, the project configurations at both ends were compared; without one nothing tells what moved.
      if (n.projectsMayChange && !versions.hasBase) global.push({ kind: 'global', file, detail: 'no base to compare project configurations with' });
    }
  }
  if (packageNames.length > 0) {
    // A declared range or an override that changed: whoever uses the package, by either lockfile (or by name alone).
    const lock = [...locks.values()].find((l) => l.before.ok && l.after.ok);
    const [before, after] = lock && lock.before.ok && lock.after.ok ? [lock.before.value, lock.after.value] : [emptyLock, emptyLock];
    for (const [project, list] of lockfile!.consumersOfPackages(before, after, new Set(packageNames), input.consumers()))
      for (const h of list) touches.push({ project, reason: { kind: 'lockfile', package: h.package, file: 'package.json', via: h.via } });
  }
  touches.push(...implicitDependencyTouches(input.nxJson, paths, global));
  return { touches, global, diagnostics };
}

type LockfileModule = typeof import('../lockfile/index.js');
interface LockPair {
  readonly before: ReturnType<LockfileModule['parseLockfile']>;
  readonly after: ReturnType<LockfileModule['parseLockfile']>;
}

const emptyLock: Lockfile = { kind: 'npm', packages: new Map(), importers: new Map(), links: new Set() };

/** Each lockfile parsed at both ends (once when the text is the same; without a base, head stands for both). */
function lockPairs(lockfile: LockfileModule, versions: FileVersions, files: readonly string[]): Map<string, LockPair> {
  const out = new Map<string, LockPair>();
  const missing = (file: string) => err(diagnostic('lockfile-missing', `${file} is missing`));
  for (const file of files) {
    const b = versions.before(file);
    const a = versions.after(file);
    const after = a === undefined ? missing(file) : lockfile.parseLockfile(file, a);
    const before = b === undefined ? (versions.hasBase ? missing(file) : after) : b === a ? after : lockfile.parseLockfile(file, b);
    out.set(file, { before, after });
  }
  return out;
}

/** Why a lockfile could not be compared, as a warning: the version at base when that is the one that failed. */
function unreadableLockfile(lock: LockPair | undefined): Diagnostic | undefined {
  if (!lock) return undefined;
  if (!lock.after.ok) return { ...lock.after.error, severity: 'warning' };
  if (!lock.before.ok) return { ...lock.before.error, severity: 'warning', message: `${lock.before.error.message.replace(/\.$/, '')} (the version at base).` };
  return undefined;
}

/** `line 12, column 5: …` (the file is the reason's own). */
const whereAndWhat = (d: Diagnostic): string =>
  `${d.location?.line !== undefined ? `line ${d.location.line}${d.location.column !== undefined ? `, column ${d.location.column}` : ''}: ` : ''}${d.message}`;

/** Nx's global packages: `nx` and the package of every plugin nx.json lists (`@nx/vite/plugin` → `@nx/vite`). */
export function globalPackages(nxJson: unknown): Set<string> {
  const plugins = nxJson !== null && typeof nxJson === 'object' ? (nxJson as { plugins?: unknown }).plugins : undefined;
  const out = new Set(['nx']);
  for (const p of Array.isArray(plugins) ? plugins : []) {
    const spec =
      typeof p === 'string' ? p : p !== null && typeof p === 'object' && typeof (p as { plugin?: unknown }).plugin === 'string' ? (p as { plugin: string }).plugin : undefined;
    if (spec === undefined || /^[./]/.test(spec)) continue;
    const parts = spec.split('/');
    out.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
  }
  return out;
}

/** nx.json's old top-level `implicitDependencies` (file → projects, or "*" for all of them). */
function implicitDependencyTouches(nxJson: unknown, paths: readonly string[], global: Reason[]): Touch[] {
  const map = nxJson !== null && typeof nxJson === 'object' ? (nxJson as { implicitDependencies?: unknown }).implicitDependencies : undefined;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) return [];
  const touches: Touch[] = [];
  for (const [file, value] of Object.entries(map as Record<string, unknown>)) {
    if (!paths.includes(file)) continue;
    if (value === '*') global.push({ kind: 'global', file, detail: 'nx.json implicitDependencies names it for every project' });
    else if (Array.isArray(value)) for (const project of value) if (typeof project === 'string') touches.push({ project, reason: { kind: 'file', file, detail: 'nx.json implicitDependencies' } });
  }
  return touches;
}

/** A root file's JSON by the one JSON policy (`workspace/json.ts`: comments and a byte order mark allowed); undefined when absent or broken. */
async function json(text: string | undefined, file: string): Promise<unknown> {
  if (text === undefined) return undefined;
  const { parseJson } = await import('../workspace/json.js');
  const parsed = parseJson(text, file);
  return parsed.ok ? parsed.value.value : undefined;
}
