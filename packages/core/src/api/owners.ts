/**
 * `kiln owners check`: who must approve a change, from CODEOWNERS as the base commit has it (as
 * GitHub does for pull requests) and the files changed since the merge-base. Wires `scm/` to the
 * pure `owners/` approval rules. The other owners operations (who, lint, generate, the owners of
 * projects) have a file each and are re-exported here, so `api/owners` is the one entry for them.
 */
import { diagnostic, KilnError } from '../model/index.js';
import { checkApprovals, type ApprovalCheck, type OwnersFinding } from '../owners/index.js';
import { baseRefFor, changedFiles, repoRoot, resolveBase } from '../scm/index.js';
import { findWorkspaceRoot } from '../workspace/index.js';
import { loadOwners, loadOwnersAt, type CodeownersOptions, type LoadedOwners } from './load-owners.js';

export { loadOwners, loadOwnersAt, ownersRoot, type CodeownersOptions, type LoadedOwners } from './load-owners.js';
export { ownersWho, type WhoResult } from './owners-who.js';
export { ownersLint, type OwnersLintResult } from './owners-lint.js';
export { ownersGenerate, ownersSourceOf, type OwnersGenerateResult, type OwnersSource } from './owners-generate.js';
export { ownersOfProjects, ownersOfProjectsIn } from './project-owners.js';

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

/**
 * Who must approve the change from the merge-base of base and head to head (or the working tree).
 * Renamed files count at both paths. Rules come from `--codeowners`, else from CODEOWNERS at the
 * base commit, as on GitHub; if the base has none, from the working tree, with a warning.
 */
export async function ownersCheck(cwd: string, options: OwnersCheckOptions = {}): Promise<OwnersCheckResult> {
  const root = await repoRoot(cwd);
  if (root === undefined)
    throw new KilnError(diagnostic('not-a-git-repository', `${cwd} is not inside a git repository.`, { hint: 'kiln owners check reads the change from git.' }));
  // scm's one rule for the base, as `kiln affected` takes it (nx.json read at the workspace root).
  const baseRef = await baseRefFor(findWorkspaceRoot(cwd) ?? root, options.base, options.env ?? process.env);
  const resolved = await resolveBase(root, { baseRef, ...(options.head !== undefined && { head: options.head }) });
  if (!resolved.ok) throw new KilnError(resolved.error);
  const base = resolved.value.base;
  const headSha = options.head === undefined ? undefined : resolved.value.head;

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
