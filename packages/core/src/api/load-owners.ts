/**
 * Finds and reads CODEOWNERS for the owners operations: from the working tree (`--codeowners`,
 * else the host's usual locations) or as it is at a commit, and compiles it with `owners/`.
 * Also where a workspace sits in its repository, since CODEOWNERS paths are repository paths.
 * Deciding who owns what is `owners/`'s; the operations are owners*.ts and project-owners.ts.
 */
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { diagnostic, KilnError, toRepoPath } from '../model/index.js';
import { codeownersLocations, compileCodeowners, type Dialect, type OwnersMatcher } from '../owners/index.js';
import { fileAtRef, repoRoot } from '../scm/index.js';
import type { Workspace } from '../workspace/index.js';

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

/** A file's text, or undefined when it cannot be read. */
export function readText(path: string): string | undefined {
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

/** Where the workspace sits in the repository (`''` when at its root): CODEOWNERS paths are repository paths. */
export async function workspacePrefix(ws: Pick<Workspace, 'root'>): Promise<{ repo: string; prefix: string }> {
  const repo = (await repoRoot(ws.root)) ?? ws.root;
  return { repo, prefix: toRepoPath(relative(repo, ws.root)) ?? '' };
}
