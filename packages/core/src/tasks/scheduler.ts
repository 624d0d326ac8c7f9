import type { TaskId } from '../model/index.js';
import { topologicalOrder, type TaskGraph } from './graph.js';

/** `interrupted`: the task was running when the run was aborted (Ctrl-C); it is not a failure and is never cached. */
export type TaskStatus = 'success' | 'failure' | 'skipped' | 'interrupted';
export type CacheStatus = 'local' | 'remote' | 'miss';

export interface TaskOutcome {
  readonly id: TaskId;
  readonly status: TaskStatus;
  readonly cache: CacheStatus;
  readonly durationMs: number;
}

/** A counting semaphore: `acquire` resolves with a release function once a permit is free. */
export class Semaphore {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(permits: number) {
    if (!Number.isInteger(permits) || permits < 1) throw new RangeError(`Expected a positive integer number of permits, got ${permits}.`);
    this.free = permits;
  }
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

export interface ScheduleOptions {
  /** How many tasks may execute (spawn processes) at once. */
  readonly parallel: number;
  /** Stop starting tasks after the first failure. */
  readonly bail: boolean;
  /** Aborting stops starting tasks; the caller kills what runs. */
  readonly signal?: AbortSignal;
  /** How many tasks may be in flight at once (cache restores need no process): at least `parallel`. */
  readonly inFlight?: number;
}

/**
 * Walks the task graph in dependency order. `perform` restores or runs one task; it must take a
 * permit from `execute` before spawning anything, so cache restores proceed many at a time while
 * at most `parallel` processes run, and report `skipped` when it gets none (the run stopped).
 * A task whose dependency did not succeed is skipped.
 */
/** What `perform` gets to start a process: a permit (call it to release), or undefined once the run stopped (bail, abort). */
export interface ExecutePermits {
  acquire(): Promise<(() => void) | undefined>;
}

export async function schedule(
  graph: TaskGraph,
  perform: (id: TaskId, execute: ExecutePermits) => Promise<{ status: TaskStatus; cache: CacheStatus; durationMs: number }>,
  options: ScheduleOptions,
  onDone?: (o: TaskOutcome) => void,
): Promise<TaskOutcome[]> {
  let stopped = false;
  const order = topologicalOrder(graph);
  const rank = new Map(order.map((id, i) => [id, i]));
  const semaphore = new Semaphore(options.parallel);
  // Tasks wait for a permit in flight; one that gets it after the run stopped must not start.
  const execute: ExecutePermits = {
    async acquire() {
      const release = await semaphore.acquire();
      if (stopped || options.signal?.aborted) {
        release();
        return undefined;
      }
      return release;
    },
  };
  const limit = Math.max(options.parallel, options.inFlight ?? 64);
  const waitingOn = new Map<TaskId, number>();
  const dependents = new Map<TaskId, TaskId[]>();
  for (const id of order) {
    const deps = graph.dependencies[id] ?? [];
    waitingOn.set(id, deps.length);
    for (const d of deps) {
      let l = dependents.get(d);
      if (!l) dependents.set(d, (l = []));
      l.push(id);
    }
  }
  const outcomes = new Map<TaskId, TaskOutcome>();
  const ready: TaskId[] = order.filter((id) => waitingOn.get(id) === 0);
  let running = 0;

  return new Promise((resolve, reject) => {
    const finish = (o: TaskOutcome): void => {
      outcomes.set(o.id, o);
      onDone?.(o);
      if (o.status === 'failure' && options.bail) stopped = true;
      for (const dep of dependents.get(o.id) ?? []) {
        if (outcomes.has(dep)) continue;
        if (o.status !== 'success') {
          skip(dep);
          continue;
        }
        const left = waitingOn.get(dep)! - 1;
        waitingOn.set(dep, left);
        if (left === 0) insertReady(dep);
      }
    };
    const skip = (id: TaskId): void => {
      if (outcomes.has(id)) return;
      finish({ id, status: 'skipped', cache: 'miss', durationMs: 0 });
    };
    const insertReady = (id: TaskId): void => {
      // Keep `ready` in topological order so output and scheduling are deterministic.
      const r = rank.get(id)!;
      let i = ready.length;
      while (i > 0 && rank.get(ready[i - 1]!)! > r) i--;
      ready.splice(i, 0, id);
    };
    const pump = (): void => {
      if (options.signal?.aborted) stopped = true;
      while (!stopped && running < limit && ready.length > 0) {
        const id = ready.shift()!;
        running++;
        perform(id, execute).then(
          (r) => {
            running--;
            finish({ id, ...r });
            pump();
          },
          (e) => {
            running--;
            stopped = true;
            reject(e);
          },
        );
      }
      if (running === 0 && (stopped || ready.length === 0)) {
        for (const id of order) skip(id);
        resolve(order.map((id) => outcomes.get(id)!));
      }
    };
    options.signal?.addEventListener('abort', () => {
      stopped = true;
    });
    pump();
  });
}
