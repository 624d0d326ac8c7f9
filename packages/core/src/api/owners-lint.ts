/**
 * `kiln owners lint`: CODEOWNERS checked against the repository's files, the known owners list
 * and the workspace's projects (when there is a workspace). The rules are `owners/lint.ts`'s.
 */
import { joinRepoPath, KilnError } from '../model/index.js';
import { lintCodeowners, type Dialect, type OwnersCoverage, type OwnersFinding } from '../owners/index.js';
import { listFiles, repoRoot } from '../scm/index.js';
import type { Workspace } from '../workspace/index.js';
import { loadOwners, workspacePrefix, type CodeownersOptions } from './load-owners.js';
import { loadWorkspace } from './load-workspace.js';

/** The workspace containing `cwd`, or undefined when there is none (lint works on any repository). */
async function optionalWorkspace(cwd: string): Promise<Workspace | undefined> {
  try {
    return await loadWorkspace(cwd);
  } catch (error) {
    if (error instanceof KilnError && error.diagnostics.some((d) => d.code === 'no-workspace')) return undefined;
    throw error;
  }
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
  const known = ws?.kiln.owners.known;
  const result = lintCodeowners({
    matcher: loaded.matcher,
    ...(files && { files }),
    ...(known && { knownOwners: known }),
    ...(projects && { projects }),
  });
  return { file: loaded.file, dialect: loaded.matcher.parsed.dialect, ...result };
}
