/**
 * `kiln watch -t TARGET [-p …]`: the workspace watcher's batches → the affected tasks, judged
 * from the workspace held in memory with the batch's files as the change (the rule of `kiln
 * affected -t`, see `watch-affected.ts`) → `run`, planned from that memory, through the cache. A
 * batch that touches what runs aborts the run (its process trees end, nothing half-written is
 * kept) and starts it again with the new work added. A configuration edit reloads memory and
 * renews which task outputs are ignored.
 */
import { workspaceIgnore, type WatchBatch } from '../watcher/index.js';
import { requireWorkspaceRoot } from '../workspace/find-root.js';
import type { RunEvents, RunResult } from './run.js';
import { isConfig, merge, outputsOf, startJudge, type Judge } from './watch-affected.js';
import { startBatchSource } from './watch-source.js';

export interface WatchEvents extends RunEvents {
  /** Watching: this many folders with its own watcher, or through the daemon's. */
  ready?(folders: number | 'daemon'): void;
  /** A batch of changed files; `reload`: it changed the configuration. */
  changed?(paths: readonly string[], reload: boolean): void;
  /** Tasks about to run (their target's tasks in these projects, with what they depend on). */
  running?(projects: readonly string[], restart: boolean): void;
  finished?(result: RunResult, ms: number): void;
  idle?(): void;
  trouble?(message: string): void;
  /** How batches are judged and runs planned: from memory, or read again each time (and why). */
  mode?(message: string): void;
  /** A batch judged: the projects whose target it affects, and whether memory answered. */
  judged?(paths: readonly string[], projects: readonly string[] | 'all', from: 'memory' | 'direct'): void;
}

export interface WatchOptions {
  readonly cwd: string;
  readonly target: string;
  /** Only these projects (default: every project with the target). */
  readonly projects?: readonly string[];
  readonly parallel?: number;
  readonly events: WatchEvents;
  /** Ctrl-C: resolves once the run is stopped and the watcher closed. */
  readonly signal: AbortSignal;
  /** Run once at the start (default true). */
  readonly initialRun?: boolean;
  /** The CLI's kiln build, so a running daemon of the same build shares its watcher (see watch-source.ts). */
  readonly version?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export async function watchAndRun(options: WatchOptions): Promise<void> {
  const root = requireWorkspaceRoot(options.cwd);
  const { events, target } = options;
  let outputs = await outputsOf(root);
  const ignoreOutputs = { current: workspaceIgnore(root, { outputs }) };
  const batches: WatchBatch[] = [];
  let wake: (() => void) | undefined;
  const note = (m: string): void => events.mode?.(m);
  const onBatch = (b: WatchBatch): void => void (batches.push(b), wake?.());
  const onTrouble = (t: { message: string }): void => events.trouble?.(`${t.message}: changes may be missed; restart kiln watch`);
  const watcher = await startBatchSource(root, {
    isIgnored: (rel, dir) => ignoreOutputs.current(rel, dir),
    onBatch,
    onTrouble,
    note,
    version: options.version,
    env: options.env ?? process.env,
  });
  // Loaded once batches flow: a change made while it loads comes as a batch and is applied on top.
  const judge: Judge = await startJudge({ root, target, projects: options.projects, outputs: () => outputs, note });
  events.ready?.(watcher.watchedFolders() ?? 'daemon');
  const stopped = new Promise<void>((resolve) => options.signal.addEventListener('abort', () => resolve(), { once: true }));
  let pending: Set<string> | 'all' | undefined = options.initialRun === false ? undefined : 'all';
  try {
    while (!options.signal.aborted) {
      if (pending === undefined) {
        events.idle?.();
        await Promise.race([new Promise<void>((r) => (wake = r)), stopped]);
        wake = undefined;
      }
      for (const batch of batches.splice(0)) pending = await affectedBy(batch, pending);
      if (pending === undefined || options.signal.aborted) continue;
      const projects = pending === 'all' ? options.projects : [...pending].sort();
      pending = undefined;
      if (projects !== undefined && projects.length === 0) continue;
      const restart = await runOnce(projects);
      if (restart !== undefined) pending = merge(restart, pending);
    }
  } finally {
    judge.close();
    await watcher.close();
  }

  /** The batch's changes → the projects whose `target` tasks they affect, added to `pending`. */
  async function affectedBy(batch: WatchBatch, pending: Set<string> | 'all' | undefined): Promise<Set<string> | 'all' | undefined> {
    const reload = batch.paths.some(isConfig);
    events.changed?.(batch.paths, reload);
    if (reload) {
      outputs = await outputsOf(root);
      ignoreOutputs.current = workspaceIgnore(root, { outputs });
    }
    try {
      const { projects, from } = await judge.judge(batch.paths, batch.overflow);
      events.judged?.(batch.paths, projects, from);
      return projects === 'all' ? 'all' : projects.length === 0 ? pending : merge(new Set(projects), pending);
    } catch (error) {
      events.trouble?.((error as Error).message);
      return pending;
    }
  }

  /** One run; when a batch affecting anything arrives meanwhile, aborts it and returns what must run again. */
  async function runOnce(projects: readonly string[] | undefined): Promise<Set<string> | 'all' | undefined> {
    const { run } = await import('./run.js');
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    options.signal.addEventListener('abort', stop, { once: true });
    let again: Set<string> | 'all' | undefined;
    // While it runs, batches are judged as they come; one that affects a task restarts the run.
    const judging = (async () => {
      while (!controller.signal.aborted) {
        await Promise.race([new Promise<void>((r) => (wake = r)), new Promise<void>((r) => controller.signal.addEventListener('abort', () => r(), { once: true }))]);
        for (const batch of batches.splice(0)) again = await affectedBy(batch, again);
        if (again !== undefined && !controller.signal.aborted) controller.abort();
      }
    })();
    events.running?.(projects ?? [], false);
    const started = performance.now();
    try {
      const read = await judge.read();
      const result = await run({
        cwd: root,
        targets: [target],
        ...(projects && { projects }),
        ...(options.parallel && { parallel: options.parallel }),
        ...(read && { read }),
        signal: controller.signal,
        events,
      });
      if (!result.interrupted) events.finished?.(result, performance.now() - started);
    } catch (error) {
      if (!controller.signal.aborted) events.trouble?.((error as Error).message);
    } finally {
      options.signal.removeEventListener('abort', stop);
      controller.abort();
      wake?.();
      await judging;
    }
    if (options.signal.aborted || again === undefined) return undefined;
    events.running?.(again === 'all' ? [] : [...again], true);
    return projects === undefined ? 'all' : merge(new Set(projects), again);
  }
}
