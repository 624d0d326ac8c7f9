/**
 * `kiln artifact`'s build: every selected service built before anything is packed, one run of
 * each build target through an injected BuildStep (the task runner: artifact.ts), with a clear
 * error for a project without its build target or whose build failed.
 */
import { diagnostic, KilnError } from '../model/index.js';
import type { KilnReleaseConfig, ReleaseProjectInfo } from '../release/index.js';

/** Runs `target` for `projects` through the cache; a project's entry holds the task hash of its build. */
export type BuildStep = (projects: readonly string[], target: string) => Promise<ReadonlyMap<string, { readonly hash: string; readonly status: string; readonly cache?: string }>>;

/** Builds every selected project first, one run per build target, so the runner can schedule and cache across projects. */
export async function buildAll(config: KilnReleaseConfig, selected: readonly ReleaseProjectInfo[], build: BuildStep): Promise<Map<string, { hash: string; status: string }>> {
  const targets = new Map(selected.map((p) => [p.name, config.artifacts.settings(p.name).target]));
  const built = new Map<string, { hash: string; status: string }>();
  for (const target of [...new Set(targets.values())].sort()) {
    const group = selected.filter((p) => targets.get(p.name) === target);
    const missing = group.filter((p) => !(target in p.targets)).map((p) => p.name);
    if (missing.length > 0)
      throw new KilnError(
        missing.map((n) =>
          diagnostic('artifact-no-build-target', `project "${n}" has no "${target}" target to build its artifact with.`, {
            hint: 'Add the target, or set kiln.artifacts.overrides.<project>.target in nx.json.',
          }),
        ),
      );
    const names = group.map((p) => p.name);
    const results = await build(names, target);
    for (const n of names) {
      const r = results.get(n);
      if (!r || r.status !== 'success')
        throw new KilnError(
          diagnostic(
            'artifact-build-failed',
            `building ${n}:${target} ${r ? (r.status === 'skipped' ? 'was skipped' : 'failed') : 'did not run'}, so there is no artifact to pack.`,
          ),
          1,
        );
      built.set(n, r);
    }
  }
  return built;
}
