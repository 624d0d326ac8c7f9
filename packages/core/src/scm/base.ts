/**
 * The base a change is measured from: the one rule `affected`, `run --affected` and `owners
 * check` share. The base ref by precedence (`--base`, then `KILN_BASE`, then nx.json's
 * `defaultBase` or, as older Nx wrote it, `affected.defaultBase`, then `main`; a workspace turbo.json
 * configures takes turbo's `TURBO_SCM_BASE` or `GITHUB_BASE_REF` before `main`), and then the
 * merge-base of that ref and head. Failures are values with the diagnostic a person needs: how to
 * fetch a missing ref, how much history a shallow clone lacks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diagnostic, type Diagnostic } from '../model/diagnostic.js'; // not the index: on `kiln affected`'s warm path
import { err, ok, type Result } from '../model/result.js';
import { git, isShallow, mergeBase, resolveCommit } from './git.js';

/** The base ref when nothing names one. */
export const FALLBACK_BASE = 'main';

/**
 * The base ref by precedence: `option`, `KILN_BASE`, nx.json's `defaultBase` (Nx reads it before
 * the older `affected.defaultBase`, and so does kiln), `main`. Empty strings count as unset.
 */
export function chooseBaseRef(option: string | undefined, env: Readonly<Record<string, string | undefined>>, nxJson: unknown): string {
  if (option) return option;
  if (env.KILN_BASE) return env.KILN_BASE;
  return nxDefaultBase(nxJson) ?? FALLBACK_BASE;
}

/** nx.json's default base, or undefined when it names none. */
export function nxDefaultBase(nxJson: unknown): string | undefined {
  if (nxJson === null || typeof nxJson !== 'object') return undefined;
  const { defaultBase, affected } = nxJson as { defaultBase?: unknown; affected?: { defaultBase?: unknown } };
  const named = defaultBase ?? (affected !== null && typeof affected === 'object' ? affected.defaultBase : undefined);
  return typeof named === 'string' && named !== '' ? named : undefined;
}

/**
 * `chooseBaseRef` for the workspace at `root`, reading its nx.json only when `option` and
 * `KILN_BASE` leave the choice to it. A missing or broken nx.json names no base (the workspace
 * reader reports its problems).
 */
export async function baseRefFor(root: string, option: string | undefined, env: Readonly<Record<string, string | undefined>>): Promise<string> {
  if (option || env.KILN_BASE) return chooseBaseRef(option, env, undefined);
  // A workspace turbo.json configures (no nx.json) takes turbo's base: TURBO_SCM_BASE, then a pull request's GITHUB_BASE_REF.
  const turboBase = env.TURBO_SCM_BASE || env.GITHUB_BASE_REF;
  if (turboBase && !existsSync(join(root, 'nx.json')) && (existsSync(join(root, 'turbo.json')) || existsSync(join(root, 'turbo.jsonc')))) return turboBase;
  return chooseBaseRef(undefined, env, await readNxJson(root));
}

async function readNxJson(root: string): Promise<unknown> {
  let text: string;
  try {
    text = readFileSync(join(root, 'nx.json'), 'utf8');
  } catch {
    return undefined;
  }
  // The one JSON policy (comments, a byte order mark), loaded only when nx.json decides.
  const { parseJson } = await import('../workspace/json.js');
  const parsed = parseJson(text, 'nx.json');
  return parsed.ok ? parsed.value.value : undefined;
}

export interface BaseRequest {
  /** The base ref as chosen (`chooseBaseRef`). */
  readonly baseRef: string;
  /** The head ref; undefined: HEAD (the caller decides whether the work tree counts). */
  readonly head?: string;
  /** The commits head and the base ref name, when the caller asked git already (one rev-parse for both). */
  readonly commits?: readonly [head: string, base: string];
}

export interface ResolvedBase {
  /** The merge-base of the base ref and head: what the change is measured from. */
  readonly base: string;
  /** The commit head names (HEAD's, without a head ref). */
  readonly head: string;
}

/**
 * The merge-base of `baseRef` and head. A ref that names nothing locally is tried as
 * `origin/<ref>` (a CI checkout often has only the remote branch). Failures: `unknown-base-ref`,
 * `unknown-head-ref`, `shallow-clone` (the merge-base is cut off), `no-merge-base`.
 */
export async function resolveBase(cwd: string, request: BaseRequest): Promise<Result<ResolvedBase, Diagnostic>> {
  const { baseRef } = request;
  const headRef = request.head ?? 'HEAD';
  const head = request.commits?.[0] ?? (await commitOf(cwd, headRef, 'head'));
  if (typeof head !== 'string') return head;
  const baseCommit = request.commits?.[1] ?? (await commitOf(cwd, baseRef, 'base'));
  if (typeof baseCommit !== 'string') return baseCommit;
  const base = baseCommit === head ? baseCommit : await mergeBase(cwd, baseCommit, head);
  if (base !== undefined) return ok({ base, head });
  if (await isShallow(cwd)) {
    const { remote, branch } = await remoteBranchOf(cwd, baseRef);
    return err(
      diagnostic('shallow-clone', `This is a shallow clone, and the merge-base of ${baseRef} and ${headRef} is not in its history.`, {
        hint: `Fetch more history: \`git fetch --deepen=200 ${remote} ${branch}\` (or \`git fetch --unshallow\`); in GitHub Actions set \`fetch-depth: 0\` on actions/checkout.`,
      }),
    );
  }
  return err(diagnostic('no-merge-base', `${baseRef} and ${headRef} have no common history.`, { hint: 'Pass a base that shares history with head (--base REF).' }));
}

/** The commit `ref` names, or the diagnostic that says how to get one. */
async function commitOf(cwd: string, ref: string, which: 'base' | 'head'): Promise<string | { ok: false; error: Diagnostic }> {
  const sha = (await resolveCommit(cwd, ref)) ?? (ref.includes('/') ? undefined : await resolveCommit(cwd, `origin/${ref}`));
  if (sha !== undefined) return sha;
  let hint: string;
  if (which === 'head' && ref === 'HEAD') hint = 'The repository has no commits yet; commit something first.';
  else {
    const { remote, branch } = await remoteBranchOf(cwd, ref);
    hint = `Fetch it (\`git fetch ${remote} ${branch}\`) or pass an existing ref with --${which}; set KILN_BASE or nx.json "defaultBase" to change the default.`;
  }
  return err(diagnostic(`unknown-${which}-ref`, `The ${which} ref "${ref}" does not name a commit in this repository.`, { hint }));
}

/**
 * What to fetch for `ref`: `origin/main` is branch `main` of remote `origin` (so `git fetch
 * origin main`, not `git fetch origin origin/main`); a ref without a remote's name comes from
 * `origin`. Asked only on the way to an error.
 */
async function remoteBranchOf(cwd: string, ref: string): Promise<{ remote: string; branch: string }> {
  const r = await git(cwd, ['remote']);
  const remotes = r.code === 0 ? r.stdout.split('\n').filter((l) => l !== '') : [];
  const remote = [...remotes, 'origin'].find((name) => ref.startsWith(`${name}/`));
  return remote === undefined ? { remote: 'origin', branch: ref } : { remote, branch: ref.slice(remote.length + 1) };
}
