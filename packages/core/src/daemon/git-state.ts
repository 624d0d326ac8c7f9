/**
 * What an answer computed from git depends on besides the work tree (which the watcher covers):
 * git's HEAD, index, packed refs and shallow list, and what git reads to answer. That is its
 * configuration (the repository's, the global and the system files, and those they include:
 * core.excludesFile, core.ignorecase, core.fileMode, core.autocrlf, status.showUntrackedFiles…
 * change what `git status` and `git diff` report), the excludes files (`.git/info/exclude`, the
 * global one) and the attributes files. A kept answer is given again only while every one of
 * these has the stats it had and the env that tells git where they are is the same.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { git } from '../scm/git.js';
import { stampOf } from './stamp.js';

/** The env variables that decide which files git reads (the rest of a request's env does not). */
const LOCATING_ENV = /^(HOME|XDG_CONFIG_HOME|GIT_CONFIG\w*|GIT_DIR|GIT_WORK_TREE|GIT_COMMON_DIR|GIT_INDEX_FILE|GIT_ATTR_NOSYSTEM|GIT_CEILING_DIRECTORIES)$/;
/** In `.git`: what says where HEAD and the index are, and what git reads beside the work tree. */
const REPOSITORY_FILES = ['HEAD', 'index', 'packed-refs', 'shallow', 'config', 'config.worktree', 'info/exclude', 'info/attributes', 'info/sparse-checkout'];

export interface GitState {
  /** The locating env, as a string. */
  readonly env: string;
  /** Absolute paths of the files git reads (existing or not: one appearing counts as a change). */
  readonly files: readonly string[];
  /** Their stats when the state was read. */
  readonly stamp: string;
}

/**
 * The files git reads for a request with `env`, and their stats now. Runs `git config` (to find
 * included files and the excludes and attributes files it names) only when `previous` no longer
 * holds; call it before the answer is computed, so a change during the computation moves the stamp.
 */
export async function readGitState(root: string, env: Readonly<Record<string, string | undefined>>, previous?: GitState): Promise<GitState> {
  const located = locatingEnv(env);
  if (previous !== undefined && previous.env === located && gitStateHolds(previous, env)) return previous;
  const known = knownFiles(root, env);
  for (let attempt = 0; ; attempt++) {
    const before = stampOf(known);
    const files = [...new Set([...known, ...(await namedByConfig(root, env))])].sort();
    // A configuration file edited while git read it may name other files: read again (a few times at most).
    if (stampOf(known) === before || attempt === 2) return { env: located, files, stamp: stampOf(files) };
  }
}

/** Whether a state read earlier still holds for a request with `env`. */
export function gitStateHolds(state: GitState, env: Readonly<Record<string, string | undefined>>): boolean {
  return state.env === locatingEnv(env) && stampOf(state.files) === state.stamp;
}

function locatingEnv(env: Readonly<Record<string, string | undefined>>): string {
  return JSON.stringify(
    Object.entries(env)
      .filter(([k, v]) => v !== undefined && LOCATING_ENV.test(k))
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

/** The files git reads whatever its configuration says (git-config(1), gitignore(5), gitattributes(5)). */
function knownFiles(root: string, env: Readonly<Record<string, string | undefined>>): string[] {
  const files = REPOSITORY_FILES.map((f) => join(root, '.git', f));
  const home = env.HOME;
  const xdg = env.XDG_CONFIG_HOME || (home ? join(home, '.config') : undefined);
  if (env.GIT_CONFIG_GLOBAL !== undefined) files.push(resolve(root, env.GIT_CONFIG_GLOBAL));
  else {
    if (home) files.push(join(home, '.gitconfig'));
    if (xdg) files.push(join(xdg, 'git', 'config'));
  }
  // The default excludes and attributes files (used unless core.excludesFile or core.attributesFile names others).
  if (xdg) files.push(join(xdg, 'git', 'ignore'), join(xdg, 'git', 'attributes'));
  if (!isTrue(env.GIT_CONFIG_NOSYSTEM)) files.push(resolve(root, env.GIT_CONFIG_SYSTEM ?? '/etc/gitconfig'));
  return files;
}

/** The configuration files git read (included ones too) and the excludes and attributes files they name. */
async function namedByConfig(root: string, env: Readonly<Record<string, string | undefined>>): Promise<string[]> {
  const r = await git(root, ['config', '--list', '--show-origin', '--includes', '-z']).catch(() => undefined);
  if (r === undefined || r.code !== 0) return [];
  const files: string[] = [];
  const fields = r.stdout.split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [origin, entry] = [fields[i]!, fields[i + 1]!];
    if (origin.startsWith('file:')) files.push(resolve(root, origin.slice('file:'.length)));
    const newline = entry.indexOf('\n');
    const key = (newline === -1 ? entry : entry.slice(0, newline)).toLowerCase();
    if ((key === 'core.excludesfile' || key === 'core.attributesfile') && newline !== -1) {
      const value = entry.slice(newline + 1);
      if (value.startsWith('~/') && env.HOME) files.push(join(env.HOME, value.slice(2)));
      else if (value !== '') files.push(isAbsolute(value) ? value : resolve(root, value));
    }
  }
  return files;
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value);
}
