/**
 * What release, artifact and promote know about a workspace, and the lookups on it they share:
 * projects by name (failing with the nearest valid name) and a project's dependency closure.
 * Pure. api/release-load.ts builds the context from the workspace and its project graph.
 */
import { diagnostic, didYouMean, err, ok, type Diagnostic, type Result } from '../model/index.js';

export interface ReleaseProjectInfo {
  readonly name: string;
  /** Repo-relative (workspace-relative) root; `''` is the workspace root. */
  readonly root: string;
  readonly tags: readonly string[];
  readonly projectType?: 'application' | 'library';
  readonly type?: string;
  /** Direct workspace dependencies, sorted. */
  readonly dependencies: readonly string[];
  /** Targets with their (unexpanded) outputs, and what runs them (for the provenance's build command). */
  readonly targets: Readonly<Record<string, { readonly outputs?: readonly string[]; readonly executor?: string; readonly options?: Readonly<Record<string, unknown>> }>>;
}

export interface ReleaseContext {
  /** Absolute workspace root. */
  readonly root: string;
  readonly nxJson: Record<string, unknown>;
  /** By name, sorted. */
  readonly projects: readonly ReleaseProjectInfo[];
}

/** Looks projects up by name; each unknown name (with the nearest valid one) or name not `allowed` is an error. */
export function findProjects(ctx: ReleaseContext, names: readonly string[], allowed?: readonly string[], what = 'project'): Result<ReleaseProjectInfo[], Diagnostic[]> {
  const byName = new Map(ctx.projects.map((p) => [p.name, p]));
  const problems = [];
  const out: ReleaseProjectInfo[] = [];
  for (const n of names) {
    const p = byName.get(n);
    if (!p) problems.push(diagnostic('unknown-project', `there is no project "${n}".${didYouMean(n, byName.keys())}`));
    else if (allowed && !allowed.includes(n))
      problems.push(diagnostic('not-a-release-project', `project "${n}" is not a ${what}.`, { hint: allowed.length ? `${what}s: ${allowed.join(', ')}.` : undefined }));
    else out.push(p);
  }
  return problems.length > 0 ? err(problems) : ok(out);
}

/** The project and every project it depends on, directly or not, sorted. */
export function dependencyClosure(ctx: ReleaseContext, name: string): string[] {
  const byName = new Map(ctx.projects.map((p) => [p.name, p]));
  const seen = new Set<string>();
  const visit = (n: string) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const d of byName.get(n)?.dependencies ?? []) visit(d);
  };
  visit(name);
  return [...seen].sort();
}
