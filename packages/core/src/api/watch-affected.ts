/**
 * `kiln watch`'s judge: a batch of changed files → the projects whose target tasks it affects,
 * answered from the workspace held in memory (`live/`) with `affected/`'s own rules, the batch's
 * files being the change (as `kiln affected -t T --files …` takes them). A batch that memory
 * cannot judge alone (a file that shapes the workspace, a lockfile: they are compared with the
 * base commit) is answered by `affected` itself, and memory is reloaded. Also hands `run` the
 * workspace, graph and file digests from memory, so a run reads and hashes only what changed:
 * the session's memo (`live/restored.ts`, `hash/memo.ts`) hears of each batch before memory takes it in, and
 * gets the same edges object while the graph is the same (it keeps hashes while its data is).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { changedPaths, changesOfPaths } from '../affected/files.js';
import { affectedProjects } from '../affected/project-level.js';
import { definesProjects } from '../affected/root-files.js';
import { loadLiveWorkspace, outputsListed, watchSession, type LiveWorkspace } from '../live/index.js';
import type { AffectedTaskResult } from './affected-types.js';
import type { WorkspaceRead } from './task-plan.js';

export interface Judge {
  /** The batch's affected tasks' projects (restricted to `projects` when given), and whether memory answered; 'all' when events were lost. */
  judge(paths: readonly string[], overflow: boolean): Promise<{ readonly projects: readonly string[] | 'all'; readonly from: 'memory' | 'direct' }>;
  /**
   * What `run` plans from: memory, or undefined (it reads the workspace itself). The tasks' outputs
   * are not watched, but git lists those no ignore file hides: then git's list is read again first.
   */
  read(): Promise<WorkspaceRead | undefined>;
  /** Ends the session (its watches on restored outputs). */
  close(): void;
}

export interface JudgeOptions {
  readonly root: string;
  readonly target: string;
  /** Only these projects' tasks (`-p`). */
  readonly projects: readonly string[] | undefined;
  /** The tasks' declared outputs, as the watch currently ignores them. */
  readonly outputs: () => readonly string[];
  /** How batches are judged, and when that changes (for --verbose). */
  readonly note: (message: string) => void;
}

export async function startJudge({ root, target, projects, outputs, note }: JudgeOptions): Promise<Judge> {
  let live = await loadLiveWorkspace(root).catch(() => undefined);
  let listedOutputs: { of: readonly string[]; listed: boolean } | undefined;
  const session = watchSession();
  let edges: { of: unknown; dependencies: Record<string, string[]> } | undefined;
  note(live !== undefined ? 'judging changes from the workspace held in memory' : 'memory cannot follow this workspace: each change reads it again');
  // The first save should not pay for the target's task graph: judge an empty change now (an error is the first batch's to report).
  if (live !== undefined) await fromMemory(live, [], target).catch(() => undefined);
  const wanted = projects === undefined ? undefined : new Set(projects);
  const owners = (tasks: AffectedTaskResult | undefined): string[] =>
    (tasks?.tasks ?? []).map((id) => id.slice(0, id.lastIndexOf(':'))).filter((p) => wanted === undefined || wanted.has(p));
  const direct = async (paths: readonly string[]): Promise<string[]> => {
    const { affected } = await import('./affected.js');
    return owners((await affected({ cwd: root, files: [...paths], target })).tasks);
  };
  return {
    async judge(paths, overflow) {
      // A burst this long shares the kernel's queue with the watches on restored outputs: they may have lost events.
      if (overflow || paths.length >= LONG_BATCH) session.restored.doubt();
      if (overflow) {
        // Events were lost: what memory holds cannot be proven, so it is read again, and everything runs.
        live = await loadLiveWorkspace(root).catch(() => undefined);
        return { projects: 'all', from: 'direct' };
      }
      if (live === undefined) return { projects: await direct(paths), from: 'direct' };
      let kind;
      try {
        session.hashes.changed(paths);
        kind = await live.apply(paths);
      } catch (error) {
        // Memory that missed a change cannot be trusted again: from now on every batch is read the direct way.
        live = undefined;
        note(`memory lost track (${(error as Error).message}): each change now reads the workspace again`);
        return { projects: await direct(paths), from: 'direct' };
      }
      // A configuration error (a cycle, an unknown target) is thrown as `affected` would throw it.
      return kind.direct ? { projects: await direct(paths), from: 'direct' } : { projects: owners(await fromMemory(live, paths, target)), from: 'memory' };
    },
    async read() {
      if (live === undefined) return undefined;
      const now = outputs();
      if (listedOutputs?.of !== now) listedOutputs = { of: now, listed: await outputsListed(root, now) };
      if (listedOutputs.listed) await live.relist();
      const view = live.view();
      if (edges?.of !== view.dependencies) edges = { of: view.dependencies, dependencies: Object.fromEntries([...view.dependencies].map(([name, deps]) => [name, [...deps]])) };
      const files = live.files();
      return { ws: view.workspace, dependencies: edges.dependencies, external: view.external, config: view.workspace.kiln, stats: files.stats, files, session };
    },
    close: () => session.restored.close(),
  };
}

/** Paths in one batch from which the restored outputs' proofs are dropped (stat'ed again once). */
const LONG_BATCH = 1024;

/** `runAffected`'s steps for a batch with no workspace-wide file: the graph and workspace from memory, no git. */
async function fromMemory(live: LiveWorkspace, paths: readonly string[], target: string): Promise<AffectedTaskResult> {
  const [config, { taskLevel }] = await Promise.all([import('./affected-config.js'), import('./affected-tasks.js')]);
  const view = live.view();
  const changes = await config.visibleChanges(live.root, changesOfPaths(paths));
  const gaps = config.inferenceGapEffects(view.inferenceGaps, view.projects, changedPaths(changes).length > 0);
  const level = await affectedProjects({
    graph: view,
    changes,
    global: gaps.global,
    touches: gaps.touches,
    // No root config file nor lockfile is among the changes (those are answered directly): nothing to compare at both ends.
    versions: { hasBase: true, before: () => undefined, after: () => undefined },
    lockfiles: [],
    tsconfigFile: view.tsconfigFile ?? (existsSync(join(live.root, 'tsconfig.base.json')) ? 'tsconfig.base.json' : 'tsconfig.json'),
  });
  return taskLevel(view.workspace, view, target, changes, level, []);
}

/** Every target's declared outputs, workspace-relative (what a build writes never triggers a run). */
export async function outputsOf(root: string): Promise<string[]> {
  try {
    const [{ loadWorkspace }, { declaredOutputs }] = await Promise.all([import('./load-workspace.js'), import('../tasks/index.js')]);
    const ws = await loadWorkspace(root);
    return [...ws.projects.values()].flatMap((project) => Object.entries(project.targets ?? {}).flatMap(([target, config]) => declaredOutputs({ project, target, config })));
  } catch {
    return [];
  }
}

/** A file whose edit changes the configuration (the ignored outputs are read again). */
export const isConfig = (p: string): boolean => definesProjects(p) || /(^|\/)(nx\.json|tsconfig[^/]*\.json)$/.test(p);

/** Projects to run, merged ('all' wins). */
export function merge(a: Set<string> | 'all', b: Set<string> | 'all' | undefined): Set<string> | 'all' {
  if (a === 'all' || b === 'all') return 'all';
  return b === undefined ? a : new Set([...a, ...b]);
}
