/**
 * Ownership operations for the CLI and the Nx plugin: find and read CODEOWNERS (from the working
 * tree, or from the base commit as GitHub does for pull requests), answer "who owns this path",
 * check a change's approvals. Wires `scm/` and the file system to the pure `owners/` module.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { diagnostic, joinRepoPath, KilnError, toRepoPath, type ProjectName } from '../model/index.js';
import type { Workspace } from '../workspace/index.js';
import { loadWorkspace } from './load-workspace.js';
import {
  checkApprovals,
  codeownersFromSettings,
  codeownersLocations,
  compileCodeowners,
  lintCodeowners,
  type LocatedOwnersProblem,
  type OwnersCoverage,
  type ApprovalCheck,
  type Dialect,
  type OwnersFinding,
  type OwnersMatcher,
  type PathOwners,
} from '../owners/index.js';
import { changedFiles, fileAtRef, listFiles, mergeBase, repoRoot, resolveCommit } from '../scm/index.js';

export interface CodeownersOptions {
  /** A CODEOWNERS file to use instead of the usual locations (relative to `cwd`). */
  readonly codeowners?: string;
  /** Default: GitLab when the file has section headers or lives in `.gitlab/`, else GitHub. */
  readonly dialect?: Dialect;
}

export interface LoadedOwners {
  /** The repository root all paths are relative to. */
  readonly root: string;
  /** Repository-relative path of the file read. */
  readonly file: string;
  /** The commit it was read from, when read from git rather than the working tree. */
  readonly ref?: string;
  readonly matcher: OwnersMatcher;
}

/** The repository root containing `cwd`, or `cwd` itself outside git (then only `--codeowners` files work). */
export async function ownersRoot(cwd: string): Promise<string> {
  return (await repoRoot(cwd)) ?? resolve(cwd);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function compile(root: string, file: string, text: string, dialect: Dialect | undefined, ref?: string): LoadedOwners {
  return { root, file, ...(ref && { ref }), matcher: compileCodeowners(text, file, dialect) };
}

function notFound(where: string, locations: readonly string[]): KilnError {
  return new KilnError(
    diagnostic('codeowners-not-found', `no CODEOWNERS file ${where}.`, {
      hint: `kiln looks in ${locations.join(', ')} (first found wins), or pass --codeowners FILE.`,
    }),
  );
}

/** Reads CODEOWNERS from the working tree: `--codeowners`, else the first of the host's locations. */
export async function loadOwners(cwd: string, options: CodeownersOptions = {}): Promise<LoadedOwners> {
  const root = await ownersRoot(cwd);
  if (options.codeowners !== undefined) {
    const full = resolve(cwd, options.codeowners);
    const text = readText(full);
    if (text === undefined)
      throw new KilnError(diagnostic('codeowners-not-found', `cannot read ${options.codeowners}.`, { hint: 'Check the path given to --codeowners.' }));
    const rel = toRepoPath(relative(root, full)) ?? options.codeowners;
    return compile(root, rel, text, options.dialect);
  }
  const locations = codeownersLocations(options.dialect);
  for (const candidate of locations) {
    const text = readText(join(root, candidate));
    if (text !== undefined) return compile(root, candidate, text, options.dialect);
  }
  throw notFound(`in ${root}`, locations);
}

/** Reads CODEOWNERS as it is at commit `ref` (GitHub reads a pull request's owners from its base branch). */
export async function loadOwnersAt(root: string, ref: string, options: CodeownersOptions = {}): Promise<LoadedOwners | undefined> {
  for (const candidate of codeownersLocations(options.dialect)) {
    const text = await fileAtRef(root, ref, candidate);
    if (text !== undefined) return compile(root, candidate, text, options.dialect, ref);
  }
  return undefined;
}

export interface WhoResult {
  /** Repository-relative path (a directory ends without `/`). */
  readonly path: string;
  readonly directory: boolean;
  readonly owners: readonly string[];
  readonly matches: PathOwners['matches'];
}

/**
 * Owners of each path. Paths are relative to `cwd` (or absolute); a directory's owners are those
 * a new file directly inside it would get.
 */
export async function ownersWho(cwd: string, paths: readonly string[], options: CodeownersOptions = {}): Promise<{ loaded: LoadedOwners; results: WhoResult[] }> {
  const loaded = await loadOwners(cwd, options);
  const results = paths.map((given) => {
    const full = isAbsolute(given) ? given : resolve(cwd, given);
    const path = toRepoPath(relative(loaded.root, full));
    if (path === undefined)
      throw new KilnError(diagnostic('path-outside-repository', `${given} is outside the repository at ${loaded.root}.`, { hint: 'Give paths inside the repository.' }));
    const directory = /[\\/]$/.test(given) || path === '' || isDirectory(full);
    const owned = directory ? loaded.matcher.ownersOfDirectory(path) : loaded.matcher.ownersOf(path);
    return { path, directory, owners: owned.owners, matches: owned.matches };
  });
  return { loaded, results };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export interface OwnersCheckOptions extends CodeownersOptions {
  readonly base?: string;
  readonly head?: string;
  readonly approvedBy?: readonly string[];
  readonly author?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface OwnersCheckResult extends ApprovalCheck {
  /** The merge-base the change is measured from. */
  readonly base: string;
  /** The head commit, or null for the working tree (uncommitted and untracked files count). */
  readonly head: string | null;
  /** Where the rules came from: `path` and, when read from git, the commit. */
  readonly codeowners: { readonly file: string; readonly ref: string | null };
  /** Things a person should know (e.g. CODEOWNERS missing on the base). */
  readonly warnings: string[];
  /** Syntax problems in the CODEOWNERS file used (those lines were skipped). */
  readonly findings: readonly OwnersFinding[];
}

/** The base ref by precedence: the option, `KILN_BASE`, nx.json `defaultBase`, then `main`. */
export function defaultBaseRef(root: string, option: string | undefined, env: NodeJS.ProcessEnv): string {
  if (option) return option;
  if (env.KILN_BASE) return env.KILN_BASE;
  const text = readText(join(root, 'nx.json'));
  if (text !== undefined) {
    const nx = parseJsonc(text) as { defaultBase?: unknown; affected?: { defaultBase?: unknown } } | undefined;
    const fromNx = nx?.defaultBase ?? nx?.affected?.defaultBase;
    if (typeof fromNx === 'string' && fromNx !== '') return fromNx;
  }
  return 'main';
}

/**
 * Who must approve the change from the merge-base of base and head to head (or the working tree).
 * Renamed files count at both paths. Rules come from `--codeowners`, else from CODEOWNERS at the
 * base commit, as on GitHub; if the base has none, from the working tree, with a warning.
 */
export async function ownersCheck(cwd: string, options: OwnersCheckOptions = {}): Promise<OwnersCheckResult> {
  const root = await repoRoot(cwd);
  if (root === undefined)
    throw new KilnError(diagnostic('not-a-git-repository', `${cwd} is not inside a git repository.`, { hint: 'kiln owners check reads the change from git.' }));
  const env = options.env ?? process.env;
  const baseRef = defaultBaseRef(root, options.base, env);
  const baseSha = await resolveCommit(root, baseRef);
  if (baseSha === undefined)
    throw new KilnError(diagnostic('unknown-ref', `the base "${baseRef}" names no commit.`, { hint: 'Pass --base REF (a branch, tag or sha), or set KILN_BASE.' }));
  let headSha: string | undefined;
  if (options.head !== undefined) {
    headSha = await resolveCommit(root, options.head);
    if (headSha === undefined) throw new KilnError(diagnostic('unknown-ref', `the head "${options.head}" names no commit.`, { hint: 'Pass --head REF, or leave it out to use the working tree.' }));
  }
  const base = await mergeBase(root, baseSha, headSha ?? 'HEAD');
  if (base === undefined)
    throw new KilnError(
      diagnostic('no-merge-base', `${baseRef} and ${options.head ?? 'HEAD'} have no common ancestor.`, {
        hint: 'In a shallow clone, fetch more history (git fetch --deepen=100) or pass --base with a reachable commit.',
      }),
    );

  const warnings: string[] = [];
  let loaded: LoadedOwners | undefined;
  if (options.codeowners !== undefined) loaded = await loadOwners(cwd, options);
  else {
    loaded = await loadOwnersAt(root, base, options);
    if (!loaded) {
      loaded = await loadOwners(root, options);
      warnings.push(`${loaded.file} is not on the base commit ${base.slice(0, 12)}; GitHub reads owners from the base branch, so it would require no approvals. Using the working tree's file.`);
    }
  }

  const changes = await changedFiles(root, base, headSha);
  const paths = changes.flatMap((c) => (c.status === 'renamed' || c.status === 'copied' ? [c.from, c.path] : [c.path]));
  const approvals = checkApprovals(loaded.matcher, paths, {
    ...(options.approvedBy && { approvedBy: options.approvedBy }),
    ...(options.author && { author: options.author }),
  });
  return {
    base,
    head: headSha ?? null,
    codeowners: { file: loaded.file, ref: loaded.ref ?? null },
    ...approvals,
    warnings,
    findings: loaded.matcher.parsed.findings,
  };
}

/** The workspace containing `cwd`, or undefined when there is none (lint works on any repository). */
async function optionalWorkspace(cwd: string): Promise<Workspace | undefined> {
  try {
    return await loadWorkspace(cwd);
  } catch (error) {
    if (error instanceof KilnError && error.diagnostics.some((d) => d.code === 'no-workspace')) return undefined;
    throw error;
  }
}

/** Where the workspace sits in the repository (`''` when at its root): CODEOWNERS paths are repository paths. */
async function workspacePrefix(ws: Workspace): Promise<{ repo: string; prefix: string }> {
  const repo = (await repoRoot(ws.root)) ?? ws.root;
  return { repo, prefix: toRepoPath(relative(repo, ws.root)) ?? '' };
}

/**
 * Owners allowed in CODEOWNERS, from nx.json `"kiln": { "owners": { "known": ["@org/*", "@alice"] } }`
 * (`*` is a wildcard). Undefined when not configured: then owners are not checked against a list.
 */
export function knownOwners(nxJson: unknown): string[] | undefined {
  const known = (nxJson as { kiln?: { owners?: { known?: unknown } } } | undefined)?.kiln?.owners?.known;
  return Array.isArray(known) && known.every((k) => typeof k === 'string') ? known : undefined;
}

export interface OwnersLintResult {
  readonly file: string;
  readonly dialect: Dialect;
  readonly findings: OwnersFinding[];
  readonly coverage?: OwnersCoverage;
}

/** Lints CODEOWNERS against the repository's files, the known owners list and the workspace's projects. */
export async function ownersLint(cwd: string, options: CodeownersOptions = {}): Promise<OwnersLintResult> {
  const loaded = await loadOwners(cwd, options);
  const ws = await optionalWorkspace(cwd);
  const files = (await repoRoot(loaded.root)) !== undefined ? await listFiles(loaded.root) : undefined;
  let projects: { name: string; root: string }[] | undefined;
  if (ws) {
    const { prefix } = await workspacePrefix(ws);
    projects = [...ws.projects.values()].map((p) => ({ name: p.name, root: joinRepoPath(prefix, p.root) }));
  }
  const known = ws ? knownOwners(ws.nxJson) : undefined;
  const result = lintCodeowners({
    matcher: loaded.matcher,
    ...(files && { files }),
    ...(known && { knownOwners: known }),
    ...(projects && { projects }),
  });
  return { file: loaded.file, dialect: loaded.matcher.parsed.dialect, ...result };
}

/** Owners settings problems as located diagnostics: nx.json, or the project's own config file. */
function configError(problems: readonly LocatedOwnersProblem[]): KilnError {
  return new KilnError(
    problems.map((p) =>
      diagnostic('invalid-owners-config', `${p.path}: ${p.message}`, {
        location: { file: p.file },
        hint: 'See docs/owners.md: nx.json "owners" and project.json "owners", as Nx\'s @nx/owners reads them.',
      }),
    ),
  );
}

/** The CODEOWNERS text the workspace's owners settings describe, and where it goes. */
function generatedCodeowners(ws: Workspace, prefix: string): { text: string; outputPath: string } | undefined {
  const generated = codeownersFromSettings(
    (ws.nxJson as { owners?: unknown }).owners,
    [...ws.projects.values()].map((p) => {
      const raw = p.config as { owners?: unknown; metadata?: { owners?: unknown } };
      const file = p.configFiles.find((f) => f.endsWith('project.json')) ?? p.configFiles[0] ?? 'project.json';
      return { name: p.name, root: joinRepoPath(prefix, p.root), tags: p.tags, owners: raw.owners ?? raw.metadata?.owners, file };
    }),
  );
  if (!generated.ok) throw configError(generated.error);
  return generated.value;
}

export interface OwnersGenerateResult {
  /** Repository-relative path of the CODEOWNERS file. */
  readonly file: string;
  readonly upToDate: boolean;
  readonly written: boolean;
  readonly text: string;
}

/**
 * Writes CODEOWNERS from nx.json and project.json "owners" (Nx's @nx/owners schema); with
 * `check`, only compares. `outputPath` is relative to the repository root.
 */
export async function ownersGenerate(cwd: string, options: { check?: boolean } = {}): Promise<OwnersGenerateResult> {
  const ws = await loadWorkspace(cwd);
  const { repo, prefix } = await workspacePrefix(ws);
  const generated = generatedCodeowners(ws, prefix);
  if (!generated)
    throw new KilnError(
      diagnostic('no-owners-config', 'nothing to generate: neither nx.json nor any project declares "owners".', {
        hint: 'Add "owners": { "patterns": [{ "projects": ["*"], "owners": ["@org/team"] }] } to nx.json, or "owners": { "**/*": ["@team"] } to a project.json.',
      }),
    );
  const full = resolve(repo, generated.outputPath);
  const file = toRepoPath(relative(repo, full)) ?? generated.outputPath;
  const upToDate = readText(full) === generated.text;
  if (!upToDate && !options.check) {
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, generated.text);
  }
  return { file, upToDate, written: !upToDate && !options.check, text: generated.text };
}

/**
 * Each project's owners: the owners its root directory has in CODEOWNERS (what a new file directly
 * in the root would get; `/libs/a/` and `*` count, `*.ts` does not). Without a CODEOWNERS file, from
 * what the owners settings would generate; without either, none. For `kiln projects` and `kiln affected`.
 */
export async function ownersOfProjects(ws: Workspace, names?: Iterable<string>): Promise<Map<ProjectName, string[]>> {
  const { repo, prefix } = await workspacePrefix(ws);
  let matcher: OwnersMatcher | undefined;
  try {
    matcher = (await loadOwners(repo)).matcher;
  } catch (error) {
    if (!(error instanceof KilnError && error.diagnostics.some((d) => d.code === 'codeowners-not-found'))) throw error;
    const generated = generatedCodeowners(ws, prefix);
    if (generated) matcher = compileCodeowners(generated.text, generated.outputPath);
  }
  const wanted = names ? new Set(names) : undefined;
  const out = new Map<ProjectName, string[]>();
  for (const p of ws.projects.values()) {
    if (wanted && !wanted.has(p.name)) continue;
    out.set(p.name, matcher ? [...matcher.ownersOfDirectory(joinRepoPath(prefix, p.root)).owners] : []);
  }
  return out;
}
