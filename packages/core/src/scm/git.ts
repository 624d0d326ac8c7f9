import { execFile } from 'node:child_process';
import { diagnostic, KilnError, type DiagnosticCode } from '../model/diagnostic.js'; // not the index: on `kiln run`'s fast path

export interface GitResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface GitOptions {
  readonly encoding?: 'utf8';
  /**
   * Let git take the index lock for its optional writes (a refreshed index, the untracked cache),
   * as a person's own `git status` does. Off by default (`GIT_OPTIONAL_LOCKS=0`), so kiln never
   * makes a concurrent `git commit` fail. With it, a `GIT_OPTIONAL_LOCKS` in the environment still counts.
   */
  readonly optionalLocks?: boolean;
  /** Written to git's standard input, which is then closed (for `--stdin` commands). */
  readonly input?: string;
}

/** Runs git in `cwd`; never throws for a non-zero exit (callers decide what it means). */
export function git(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  const locks = options.optionalLocks ? {} : { GIT_OPTIONAL_LOCKS: '0' };
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args as string[],
      { cwd, maxBuffer: 1 << 30, encoding: options.encoding ?? 'utf8', env: { ...process.env, ...locks, LC_ALL: 'C' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : -1) : 0;
        if (error && code === -1) {
          const e = error as NodeJS.ErrnoException;
          if (e.code === 'ENOENT')
            return reject(new KilnError(diagnostic('git-not-found', 'git is not installed or not on PATH.', { hint: 'Install git; kiln reads changes through it.' })));
        }
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs git and returns stdout, or throws a KilnError that quotes git's own message. */
export async function gitOrThrow(cwd: string, args: readonly string[], code: DiagnosticCode = 'git-failed', hint?: string): Promise<string> {
  const r = await git(cwd, args);
  if (r.code !== 0) {
    const detail = r.stderr.trim().split('\n')[0] ?? '';
    throw new KilnError(diagnostic(code, `git ${args[0]} failed: ${detail}`, hint ? { hint } : {}));
  }
  return r.stdout;
}

/** The top of the git repository containing `cwd`, or undefined when there is none. */
export async function repoRoot(cwd: string): Promise<string | undefined> {
  const r = await git(cwd, ['rev-parse', '--show-toplevel']);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

export async function requireRepo(cwd: string): Promise<string> {
  const root = await repoRoot(cwd);
  if (root === undefined)
    throw new KilnError(
      diagnostic('not-a-git-repository', `${cwd} is not inside a git repository.`, {
        hint: 'Run kiln inside a git checkout, or pass the changed files with --files a,b.',
      }),
    );
  return root;
}

/** The commit a ref names, or undefined when it names none. */
export async function resolveCommit(cwd: string, ref: string): Promise<string | undefined> {
  const r = await git(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

export async function isShallow(cwd: string): Promise<boolean> {
  const r = await git(cwd, ['rev-parse', '--is-shallow-repository']);
  return r.stdout.trim() === 'true';
}

/** The merge-base of two commits, or undefined when git finds none (unrelated or cut off by a shallow clone). */
export async function mergeBase(cwd: string, a: string, b: string): Promise<string | undefined> {
  const r = await git(cwd, ['merge-base', a, b]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** A file's content at a ref, or undefined when it does not exist there. Path is relative to `cwd`. */
export async function fileAtRef(cwd: string, ref: string, path: string): Promise<string | undefined> {
  const r = await git(cwd, ['show', `${ref}:./${path}`]);
  return r.code === 0 ? r.stdout : undefined;
}

/** Splits NUL-separated git output, dropping the empty tail. */
export function splitNul(s: string): string[] {
  const parts = s.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}
