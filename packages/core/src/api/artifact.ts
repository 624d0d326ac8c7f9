/**
 * `kiln artifact`: for the workspace containing `cwd`, pack the artifact projects (or those
 * affected by a change), building each through the task runner and its cache; the task hash of
 * its build is the artifact's input hash. Packing is artifact-pack.ts's.
 */
import { diagnostic, KilnError, projectOfTask } from '../model/index.js';
import { loadReleaseContext, releaseConfig } from './release-load.js';
import { artifactIn, type ArtifactOptions, type ArtifactResult, type BuildStep } from './artifact-pack.js';
import { run } from './run.js';
import { affected } from './affected.js';

export { artifactIn, type ArtifactOptions, type ArtifactResult, type ArtifactSummary, type BuildStep } from './artifact-pack.js';
export { readArtifactIndex } from '../release/index.js';

export interface ArtifactCommandOptions extends Omit<ArtifactOptions, 'build' | 'projects'> {
  readonly cwd: string;
  readonly projects?: readonly string[];
  /** Only artifact projects affected between `base` and `head`. */
  readonly affected?: { readonly base?: string; readonly head?: string };
  /** Build output (a task's terminal output), for a person. */
  readonly output?: (chunk: Buffer) => void;
}

/** `kiln artifact` for the workspace containing `cwd`, building through the task runner. */
export async function artifact(options: ArtifactCommandOptions): Promise<ArtifactResult> {
  const ctx = await loadReleaseContext(options.cwd);
  let projects = options.projects;
  if (options.affected) {
    const changed = await affected({ cwd: options.cwd, ...options.affected, ...(options.env && { env: options.env }) });
    for (const w of changed.warnings) options.warn?.(w);
    const touched = new Set(changed.projects);
    projects = (projects ?? releaseConfig(ctx).artifacts.projects).filter((p) => touched.has(p));
    options.progress?.(`affected artifact projects: ${projects.length ? projects.join(', ') : 'none'}`);
  }
  return artifactIn(ctx, { ...options, ...(projects && { projects }), build: runnerBuildStep(options) });
}

/**
 * The task runner as a BuildStep: one run of `target` for the projects (with its dependsOn
 * graph), through the cache unless `skipCache`; the build task's hash is the artifact's input hash.
 */
export function runnerBuildStep(options: Pick<ArtifactCommandOptions, 'cwd' | 'env' | 'progress' | 'warn' | 'output'>, skipCache = false): BuildStep {
  return async (projects, target) => {
    const result = await run({
      cwd: options.cwd,
      targets: [target],
      projects,
      skipCache,
      ...(options.env && { env: options.env }),
      events: {
        ...(options.progress && { start: (id) => options.progress!(`building ${id}`) }),
        ...(options.warn && { warning: (m) => options.warn!(m) }),
        ...(options.output && { output: (_id, chunk) => options.output!(chunk) }),
      },
    });
    if (result.interrupted) throw new KilnError(diagnostic('artifact-interrupted', 'the build was interrupted; nothing was packed.'), 1);
    const out = new Map<string, { hash: string; status: string; cache: string }>();
    for (const t of result.tasks) {
      const project = projectOfTask(t.id, target);
      if (project !== undefined) out.set(project, { hash: t.hash, status: t.status, cache: t.cache });
    }
    return out;
  };
}
